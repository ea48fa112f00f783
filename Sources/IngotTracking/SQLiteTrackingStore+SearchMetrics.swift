import GRDB

/// Keeps `tracking_search_metrics` (what run searches filter and order on) equal to
/// `tracking_latest_metrics` for the runs whose metrics changed since the last sync. See
/// ``TrackingSchema/separateSearchMetrics(_:)`` for why the two are separate.
extension SQLiteTrackingStore {
    /// Runs brought up to date per transaction: a sync never holds the writer for long, so
    /// log-batch commits queued behind it wait a few milliseconds at most.
    static let searchSyncRunsPerTransaction = 8

    /// Brings the search copy up to date for every pending run (all of them when `maxRuns` is nil).
    /// - Returns: how many runs were synced.
    @discardableResult
    public func syncSearchMetrics(maxRuns: Int? = nil) async throws -> Int {
        var synced = 0
        while maxRuns.map({ synced < $0 }) ?? true {
            let hasPending = try await db.read { db in
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM tracking_search_metrics_pending)") ?? false
            }
            if !hasPending { break }
            let batch = min(Self.searchSyncRunsPerTransaction, maxRuns.map { $0 - synced } ?? .max)
            let done = try await db.write { db in try Self.syncSearchMetrics(db, runs: batch) }
            if done == 0 { break }
            synced += done
        }
        return synced
    }

    /// Syncs up to `runs` pending runs inside the caller's transaction.
    static func syncSearchMetrics(_ db: Database, runs: Int) throws -> Int {
        let pks = try Int64.fetchAll(db, sql: "SELECT run_pk FROM tracking_search_metrics_pending ORDER BY run_pk LIMIT ?", arguments: [runs])
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO tracking_search_metrics (run_pk, key, value, is_nan)
                    SELECT run_pk, key, value, is_nan FROM tracking_latest_metrics WHERE run_pk = ?
                ON CONFLICT (run_pk, key) DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan
                    WHERE tracking_search_metrics.value IS NOT excluded.value OR tracking_search_metrics.is_nan IS NOT excluded.is_nan
                """)
        let done = try db.cachedStatement(sql: "DELETE FROM tracking_search_metrics_pending WHERE run_pk = ?")
        for pk in pks {
            try upsert.execute(arguments: [pk])
            try done.execute(arguments: [pk])
        }
        return pks.count
    }
}
