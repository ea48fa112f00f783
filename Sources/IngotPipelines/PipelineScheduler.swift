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
        var waiting = order
        var done = Set<String>()
        var changed = Set<String>()
        var running = 0
        var failure: (any Error)?
        try await withThrowingTaskGroup(of: (String, Result<Bool, any Error>).self) { group in
            func startReady() {
                guard failure == nil else { return }
                var k = 0
                while k < waiting.count, running < max(1, limit) {
                    let n = waiting[k]
                    let deps = (dependencies[n] ?? []).filter { known.contains($0) }
                    if deps.allSatisfy({ done.contains($0) }) {
                        waiting.remove(at: k)
                        running += 1
                        let changedDeps = Set(deps.filter { changed.contains($0) })
                        group.addTask {
                            do { return (n, .success(try await body(n, changedDeps))) } catch { return (n, .failure(error)) }
                        }
                    } else {
                        k += 1
                    }
                }
            }
            startReady()
            while let (n, result) = try await group.next() {
                running -= 1
                switch result {
                case .success(let c):
                    done.insert(n)
                    if c { changed.insert(n) }
                case .failure(let e):
                    if failure == nil { failure = e }
                }
                startReady()
            }
        }
        if let failure { throw failure }
        return changed
    }
}
