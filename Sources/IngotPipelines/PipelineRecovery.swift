import Foundation
import IngotCatalog
import IngotLake
import GRDB

/// A full refresh resets every streaming table, one dataset at a time; an update that stops part way
/// (a crash, a failed expectation, a cancel) must not leave a dataset with its old rows and checkpoint
/// downstream of a source that was rebuilt from scratch — its next incremental read would take the
/// whole new source again and load every row twice. So the intent is recorded first, for all
/// streaming datasets in one transaction, and each dataset clears its own mark when it has reset:
/// whichever run reaches a marked dataset next resets it.
extension PipelineStore {
    public func markFullRefresh(pipelineID: String, datasets: [String]) async throws {
        try await metadata.writer.write { db in
            for name in datasets {
                let key = name.lowercased()
                let text = try String.fetchOne(db, sql: "SELECT state FROM pipeline_checkpoints WHERE pipeline_id = ? AND dataset = ?", arguments: [pipelineID, key])
                var c = try text.map { try JSONDecoder().decode(StreamCheckpoint.self, from: Data($0.utf8)) } ?? StreamCheckpoint()
                c.refresh = true
                try db.execute(sql: "INSERT OR REPLACE INTO pipeline_checkpoints (pipeline_id, dataset, state) VALUES (?, ?, ?)",
                               arguments: [pipelineID, key, Self.json(c)])
            }
        }
    }
}

extension PipelineRunner {
    /// Resets a streaming dataset: its table (or, after a crash inside a drop, what is left of its
    /// storage) goes, then its checkpoint and refresh mark. The table's quality monitor stays for the
    /// table created again.
    func resetForFullRefresh(_ target: TableName, pipelineID: String, dataset: String) async throws {
        if try await tables.namespace.tableIfExists(target) != nil {
            try await tables.drop(target, replacing: true)
        } else {
            try await tables.objects.deleteAll(prefix: TableService.managedKey(target) + "/")
        }
        try await store.saveCheckpoint(pipelineID: pipelineID, dataset: dataset, nil)
    }

    /// A crash between a new table's first Delta commit and its namespace record leaves the table in
    /// storage only: record it, so the write is seen (a pending write resolves as committed) and the
    /// table's location is not refused as taken.
    func adoptUnrecorded(_ target: TableName) async throws {
        guard try await tables.namespace.tableIfExists(target) == nil else { return }
        let key = TableService.managedKey(target)
        guard try await LakeTable(store: tables.objects, key: key).exists() else { return }
        try await tables.register(target, key: key, owner: owner)
    }
}

extension PipelineRunner {
    /// The files of `snap` added after version `since`, from the commits themselves: a snapshot read
    /// from a Delta checkpoint only knows that its files exist at the checkpoint's version, not when
    /// each was added (its `addedVersion` is the checkpoint version for all of them), so a reader
    /// that last read before the checkpoint would take every file again.
    func filesAdded(to table: LakeTable, after since: Int64, in snap: DeltaSnapshot) async throws -> [DeltaAdd] {
        guard since >= 0 else { return snap.files }
        guard since < snap.version else { return [] }
        var added = Set<String>()
        for v in (since + 1)...snap.version {
            for action in try await table.log.readCommit(v) {
                if case .add(let a) = action { added.insert(a.path) }
            }
        }
        return snap.files.filter { added.contains($0.path) }
    }
}
