import Foundation
import GRDB
import Synchronization
import Testing

@testable import IngotStorage

@Suite struct GroupCommitQueueTests {
    struct Rejected: Error {}

    /// Counts committed transactions, to see requests share them.
    final class CommitCounter: TransactionObserver, Sendable {
        let commits = Mutex(0)
        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
        func databaseDidChange(with event: DatabaseEvent) {}
        func databaseDidCommit(_ db: Database) { commits.withLock { $0 += 1 } }
        func databaseDidRollback(_ db: Database) {}
    }

    func makeStore() throws -> MetadataStore {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-gc-\(UUID().uuidString).sqlite").path
        let store = try MetadataStore(path: path, migrations: [
            Migration("gc.v1") { db in try db.execute(sql: "CREATE TABLE items (value INTEGER PRIMARY KEY)") }
        ])
        try store.migrate()
        return store
    }

    func makeQueue(_ writer: any DatabaseWriter) -> GroupCommitQueue<Int> {
        GroupCommitQueue(writer: writer, maxItemsPerCommit: 16) { db, value in
            try db.execute(sql: "INSERT INTO items (value) VALUES (?)", arguments: [value])
            if value % 7 == 0 { throw Rejected() }  // after a write, to prove the savepoint undoes it
        }
    }

    @Test func concurrentRequestsShareCommitsAndFailAlone() async throws {
        let store = try makeStore()
        let queue = makeQueue(store.writer)
        let counter = CommitCounter()
        try await store.writer.write { db in db.add(transactionObserver: counter, extent: .databaseLifetime) }
        let before = counter.commits.withLock { $0 }

        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for value in 1...200 {
                group.addTask {
                    do {
                        try await queue.submit(value)
                        return (value, true)
                    } catch {
                        return (value, false)
                    }
                }
            }
            var outcomes: [Int: Bool] = [:]
            for await (value, ok) in group { outcomes[value] = ok }
            return outcomes
        }
        for value in 1...200 { #expect(outcomes[value] == (value % 7 != 0), "value \(value)") }
        let stored = try await store.writer.read { db in try Int.fetchAll(db, sql: "SELECT value FROM items ORDER BY value") }
        #expect(stored == (1...200).filter { $0 % 7 != 0 })
        let commits = counter.commits.withLock { $0 } - before
        #expect(commits <= 200 && commits >= 200 / 16)
    }

    /// Holds the writer busy until opened, so requests pile up behind it deterministically.
    final class Gate: Sendable {
        let open = Mutex(false)
        func wait() { while !open.withLock({ $0 }) { Thread.sleep(forTimeInterval: 0.001) } }
    }

    func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<5000 where !condition() { try await Task.sleep(for: .milliseconds(2)) }
        #expect(condition())
    }

    @Test func requestsArrivingDuringACommitShareTheNextOne() async throws {
        let store = try makeStore()
        let queue = makeQueue(store.writer)
        let counter = CommitCounter()
        try await store.writer.write { db in db.add(transactionObserver: counter, extent: .databaseLifetime) }
        let before = counter.commits.withLock { $0 }
        let gate = Gate()
        async let blocker: Void = store.writer.write { _ in gate.wait() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The first request leads alone (and waits for the writer); the next ten queue behind it.
            group.addTask { try await queue.submit(1) }
            try await eventually { queue.isLeading && queue.queuedCount == 0 }
            let values = [2, 3, 4, 5, 6, 8, 9, 10, 11, 12]
            for value in values { group.addTask { try await queue.submit(value) } }
            try await eventually { queue.queuedCount == values.count }
            gate.open.withLock { $0 = true }
            try await group.waitForAll()
        }
        try await blocker
        // blocker + the leader's own commit + one shared commit for the ten that waited.
        #expect(counter.commits.withLock { $0 } - before == 3)
        let count = try await store.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM items") }
        #expect(count == 11)
    }

    @Test func aCancelledLeaderDoesNotFailTheRequestsItCarried() async throws {
        let store = try makeStore()
        let queue = makeQueue(store.writer)
        let gate = Gate()
        async let blocker: Void = store.writer.write { _ in gate.wait() }
        let leader = Task { try await queue.submit(1) }
        try await eventually { queue.isLeading && queue.queuedCount == 0 }
        async let second: Void = queue.submit(2)
        async let third: Void = queue.submit(3)
        try await eventually { queue.queuedCount == 2 }
        leader.cancel()
        gate.open.withLock { $0 = true }
        try await blocker
        await #expect(throws: CancellationError.self) { try await leader.value }
        try await second
        try await third
        let stored = try await store.writer.read { db in try Int.fetchAll(db, sql: "SELECT value FROM items ORDER BY value") }
        #expect(stored == [2, 3])
    }
}
