/// Runs the datasets of a pipeline pass in dependency order, independent ones in parallel.
///
/// A dataset starts once every dependency has finished; at most `limit` run at once. After the first
/// failure no further dataset starts (those running finish: each commits whole or not at all) and
/// the first error is rethrown. `body` returns whether the dataset changed its table, which the
/// caller uses to skip unchanged downstream datasets in continuous micro-batches.
public enum PipelineScheduler {
    /// - Parameters:
    ///   - order: dataset names (lower-case) in a topological order.
    ///   - dependencies: name → names it reads (lower-case; names outside `order` are ignored).
    ///   - body: runs one dataset, given the set of its dependencies that changed in this pass.
    /// - Returns: the names whose `body` returned true.
    public static func run(order: [String], dependencies: [String: [String]], limit: Int,
                           _ body: @escaping @Sendable (String, Set<String>) async throws -> Bool) async throws -> Set<String> {
        let known = Set(order)
        let limit = max(1, limit)
        // All scheduling state lives inside the group's closure and comes back as its value: an
        // earlier shape that mutated captured variables from a nested function lost the failure
        // in optimized builds (the next dataset started and no error was thrown).
        let outcome = await withTaskGroup(of: Finished.self, returning: Outcome.self) { group in
            var waiting = order
            var done = Set<String>()
            var changed = Set<String>()
            var running = 0
            var failure: (any Error)?
            while true {
                if failure == nil {
                    var k = 0
                    while k < waiting.count, running < limit {
                        let name = waiting[k]
                        let deps = (dependencies[name] ?? []).filter { known.contains($0) }
                        guard deps.allSatisfy({ done.contains($0) }) else {
                            k += 1
                            continue
                        }
                        waiting.remove(at: k)
                        running += 1
                        let changedDeps = Set(deps.filter { changed.contains($0) })
                        group.addTask {
                            do {
                                return Finished(name: name, changed: try await body(name, changedDeps), error: nil)
                            } catch {
                                return Finished(name: name, changed: false, error: error)
                            }
                        }
                    }
                }
                guard let finished = await group.next() else { break }
                running -= 1
                if let error = finished.error {
                    if failure == nil { failure = error }
                } else {
                    done.insert(finished.name)
                    if finished.changed { changed.insert(finished.name) }
                }
            }
            return Outcome(changed: changed, failure: failure)
        }
        if let failure = outcome.failure { throw failure }
        return outcome.changed
    }

    private struct Finished: Sendable {
        let name: String
        let changed: Bool
        let error: (any Error)?
    }

    private struct Outcome: Sendable {
        let changed: Set<String>
        let failure: (any Error)?
    }
}
