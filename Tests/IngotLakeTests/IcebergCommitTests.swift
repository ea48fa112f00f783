import Foundation
import IngotStorage
import Testing
@testable import IngotLake

/// Iceberg REST commits applied to Delta tables: requirement checks, update plans, and the Delta
/// commit a client's snapshot becomes.
@Suite struct IcebergCommitTests {
    static let metadata = try! LakeJSON.parse(#"""
        {"format-version": 2, "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1", "location": "file:///d/t",
         "last-column-id": 2, "current-schema-id": 0, "last-partition-id": 999, "default-spec-id": 0, "default-sort-order-id": 0,
         "current-snapshot-id": 3, "refs": {"main": {"snapshot-id": 3, "type": "branch"}},
         "schemas": [{"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "type": "long", "required": true},
                                                                   {"id": 2, "name": "s", "type": "string", "required": false}]}],
         "partition-specs": [{"spec-id": 0, "fields": []}], "snapshots": [{"snapshot-id": 3, "manifest-list": "file:///d/t/metadata/x.avro"}]}
        """#)
    static let schema = Schema([Field("id", .int64, nullable: false, id: 1), Field("s", .string, id: 2)])

    func req(_ text: String) -> [LakeJSON] { [try! LakeJSON.parse(text)] }

    func isConflict(_ body: () throws -> Void) -> Bool {
        do { try body() } catch TableError.conflict { return true } catch { return false }
        return false
    }

    @Test func requirementsPassAgainstTheCurrentMetadata() throws {
        try IcebergRequirements.check([
            try LakeJSON.parse(#"{"type": "assert-table-uuid", "uuid": "9C12D441-03FE-4693-9A96-A0705DDF69C1"}"#),
            try LakeJSON.parse(#"{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": 3}"#),
            try LakeJSON.parse(#"{"type": "assert-ref-snapshot-id", "ref": "dev", "snapshot-id": null}"#),
            try LakeJSON.parse(#"{"type": "assert-current-schema-id", "current-schema-id": 0}"#),
            try LakeJSON.parse(#"{"type": "assert-last-assigned-field-id", "last-assigned-field-id": 2}"#),
            try LakeJSON.parse(#"{"type": "assert-last-assigned-partition-id", "last-assigned-partition-id": 999}"#),
            try LakeJSON.parse(#"{"type": "assert-default-spec-id", "default-spec-id": 0}"#),
            try LakeJSON.parse(#"{"type": "assert-default-sort-order-id", "default-sort-order-id": 0}"#),
        ], metadata: Self.metadata)
        try IcebergRequirements.check(req(#"{"type": "assert-create"}"#), metadata: nil)
    }

    @Test func staleRequirementsAreConflicts() {
        let m = Self.metadata
        #expect(isConflict { try IcebergRequirements.check(req(#"{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": 2}"#), metadata: m) })
        #expect(isConflict { try IcebergRequirements.check(req(#"{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": null}"#), metadata: m) })
        #expect(isConflict { try IcebergRequirements.check(req(#"{"type": "assert-ref-snapshot-id", "ref": "dev", "snapshot-id": 3}"#), metadata: m) })
        #expect(isConflict { try IcebergRequirements.check(req(#"{"type": "assert-table-uuid", "uuid": "00000000-0000-0000-0000-000000000000"}"#), metadata: m) })
        #expect(isConflict { try IcebergRequirements.check(req(#"{"type": "assert-current-schema-id", "current-schema-id": 1}"#), metadata: m) })
        #expect(isConflict { try IcebergRequirements.check(req(#"{"type": "assert-last-assigned-field-id", "last-assigned-field-id": 1}"#), metadata: m) })
        #expect(isConflict { try IcebergRequirements.check(req(#"{"type": "assert-default-spec-id", "default-spec-id": 1}"#), metadata: m) })
        #expect(isConflict { try IcebergRequirements.check(req(#"{"type": "assert-default-sort-order-id", "default-sort-order-id": 1}"#), metadata: m) })
        #expect(isConflict { try IcebergRequirements.check(req(#"{"type": "assert-create"}"#), metadata: m) })
        #expect(isConflict { try IcebergRequirements.check(req(#"{"type": "assert-current-schema-id", "current-schema-id": 0}"#), metadata: nil) })
        #expect(throws: TableError.self) { try IcebergRequirements.check(req(#"{"type": "assert-something"}"#), metadata: m) }
    }

    @Test func updatesBecomeAPlan() throws {
        let updates = try LakeJSON.parse(#"""
            [{"action": "upgrade-format-version", "format-version": 2},
             {"action": "set-properties", "updates": {"k": "v", "converted_delta_version": "9"}},
             {"action": "remove-properties", "removals": ["old"]},
             {"action": "add-schema", "schema": {"type": "struct", "schema-id": 1, "fields": [
                 {"id": 1, "name": "id", "type": "long", "required": true}, {"id": 2, "name": "s", "type": "string", "required": false},
                 {"id": 3, "name": "x", "type": "double", "required": false}]}, "last-column-id": 3},
             {"action": "set-current-schema", "schema-id": -1},
             {"action": "add-snapshot", "snapshot": {"snapshot-id": 77, "parent-snapshot-id": 3, "manifest-list": "file:///d/t/metadata/snap-77.avro",
                                                     "summary": {"operation": "append"}}},
             {"action": "set-snapshot-ref", "ref-name": "main", "type": "branch", "snapshot-id": 77}]
            """#).array!
        let plan = try IcebergUpdatePlan.plan(updates, metadata: Self.metadata, schema: Self.schema, properties: ["old": "1"])
        #expect(plan.properties == ["k": "v"])
        #expect(plan.schema?.fields.map(\.name) == ["id", "s", "x"])
        #expect(plan.schema?.fields.last?.id == 3)
        #expect(plan.mainSnapshot?["snapshot-id"] == .int(77))
        // No updates: nothing changes.
        let none = try IcebergUpdatePlan.plan([], metadata: Self.metadata, schema: Self.schema, properties: [:])
        #expect(none.schema == nil && none.properties == nil && none.mainSnapshot == nil)
    }

    @Test func unsupportedUpdatesAreRefused() throws {
        func refused(_ text: String) -> Bool {
            do { _ = try IcebergUpdatePlan.plan(try LakeJSON.parse(text).array!, metadata: Self.metadata, schema: Self.schema, properties: [:]) } catch {
                return true
            }
            return false
        }
        #expect(refused(#"[{"action": "set-location", "location": "file:///elsewhere"}]"#))
        #expect(refused(#"[{"action": "assign-uuid", "uuid": "00000000-0000-0000-0000-000000000000"}]"#))
        #expect(refused(#"[{"action": "add-spec", "spec": {"fields": [{"source-id": 1, "field-id": 1000, "transform": "bucket[4]", "name": "b"}]}}]"#))
        #expect(refused(#"[{"action": "set-snapshot-ref", "ref-name": "main", "type": "branch", "snapshot-id": 1}]"#))
        #expect(refused(#"[{"action": "remove-snapshots", "snapshot-ids": [3]}]"#))
        // Renaming or retyping a column is not something Delta can follow without column mapping.
        #expect(refused(#"""
            [{"action": "add-schema", "schema": {"type": "struct", "schema-id": 1, "fields": [
                {"id": 1, "name": "id2", "type": "long", "required": true}, {"id": 2, "name": "s", "type": "string", "required": false}]}},
             {"action": "set-current-schema", "schema-id": 1}]
            """#))
        #expect(!refused(#"[{"action": "set-location", "location": "file:///d/t/"}, {"action": "add-sort-order", "sort-order": {"order-id": 0, "fields": []}}]"#))
    }

    /// What pyiceberg does for an append: a Parquet file in the table directory, a manifest listing
    /// the live files, a manifest list, and a commit that adds the snapshot and moves main to it.
    func clientAppend(_ t: LakeTable, _ store: LocalObjectStore, rows: Range<Int64>, base: LakeJSON, keepOld: Bool = true) async throws -> [LakeJSON] {
        let schema = try await t.snapshot().schema
        let snap = try await t.snapshot()
        let dataRel = "data/client-\(UUID().uuidString).parquet"
        let sink = try await ObjectSink(store: store, key: t.key + "/" + dataRel)
        let w = try ParquetWriter(sink: sink, schema: schema, options: ParquetWriteOptions(codec: .zstd))
        try await w.write(try TableBatches.conform(try smallBatch(rows), to: schema))
        let size = try await w.close().bytes
        let df = AvroSchema.record("r2", [
            AvroField("content", .int, id: 134), AvroField("file_path", .string, id: 100), AvroField("file_format", .string, id: 101),
            AvroField("record_count", .long, id: 103), AvroField("file_size_in_bytes", .long, id: 104),
        ])
        let entry = AvroSchema.record("manifest_entry", [AvroField("status", .int, id: 0), AvroField("data_file", df, id: 2)])
        var m = AvroFileWriter(schema: entry)
        if keepOld {
            for f in snap.files {
                try m.append(.record([.int(0), .record([.int(0), .string(t.location + "/" + f.path), .string("PARQUET"), .long(f.numRecords ?? 0), .long(f.size)])]))
            }
        }
        try m.append(.record([.int(1), .record([.int(0), .string(t.location + "/" + dataRel), .string("PARQUET"), .long(Int64(rows.count)), .long(size)])]))
        let manifest = "metadata/client-\(UUID().uuidString)-m0.avro"
        try await store.put(t.key + "/" + manifest, try m.finish())
        var list = AvroFileWriter(schema: AvroSchema.record("manifest_file", [AvroField("manifest_path", .string, id: 500), AvroField("content", .int, id: 517)]))
        try list.append(.record([.string(t.location + "/" + manifest), .int(0)]))
        let listRel = "metadata/snap-client-\(UUID().uuidString).avro"
        try await store.put(t.key + "/" + listRel, try list.finish())
        let current = base["current-snapshot-id"]?.int ?? -1
        let id = Int64.random(in: 1_000_000...9_000_000)
        return [
            .object([("action", "add-snapshot"), ("snapshot", .object([
                ("snapshot-id", .int(id)), ("parent-snapshot-id", .int(current)), ("sequence-number", .int(99)), ("timestamp-ms", .int(1)),
                ("manifest-list", .string(t.location + "/" + listRel)), ("summary", .object([("operation", .string(keepOld ? "append" : "overwrite"))])),
            ]))]),
            .object([("action", "set-snapshot-ref"), ("ref-name", "main"), ("type", "branch"), ("snapshot-id", .int(id))]),
        ]
    }

    @Test func aClientSnapshotBecomesADeltaCommitWithStats() async throws {
        let (store, _) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/ice")
        try await t.create(schema: try smallBatch(0..<1).schema)
        try await t.append([try smallBatch(0..<4)])
        var meta = try LakeJSON.parse(try await t.icebergMetadata().bytes)
        let assertMain = [LakeJSON.object([("type", "assert-ref-snapshot-id"), ("ref", "main"), ("snapshot-id", meta["current-snapshot-id"]!)])]

        let r = try await t.icebergCommit(requirements: assertMain, updates: try await clientAppend(t, store, rows: 10..<13, base: meta))
        #expect(r.committed && r.version == 2)
        #expect(try await ids(t) == [0, 1, 2, 3, 10, 11, 12])
        let added = try #require(try await t.snapshot().files.first { $0.path.hasPrefix("data/client-") })
        let stats = try LakeJSON.parse(try #require(added.stats))
        #expect(stats["numRecords"] == .int(3) && stats["minValues"]?["id"] == .int(10) && stats["maxValues"]?["id"] == .int(12))
        meta = try LakeJSON.parse(r.metadata)
        #expect(meta["current-snapshot-id"] == .int(3))
        #expect((try await t.history()).first?.operation == "WRITE")

        // The same (now stale) requirement again: 409, and nothing was committed.
        let stale = try await clientAppend(t, store, rows: 20..<21, base: meta)
        #expect(await isConflictAsync { try await t.icebergCommit(requirements: assertMain, updates: stale) })
        #expect(try await t.log.latestVersion() == 2)

        // A Delta writer commits between the client's load and its commit: the commit fails, no lost update.
        let base = try LakeJSON.parse(try await t.icebergMetadata().bytes)
        let updates = try await clientAppend(t, store, rows: 30..<31, base: base)
        try await t.append([try smallBatch(40..<41)])
        let fresh = [LakeJSON.object([("type", "assert-ref-snapshot-id"), ("ref", "main"), ("snapshot-id", base["current-snapshot-id"]!)])]
        #expect(await isConflictAsync { try await t.icebergCommit(requirements: fresh, updates: updates) })
        #expect(try await ids(t) == [0, 1, 2, 3, 10, 11, 12, 40])

        // An overwrite: the files the new snapshot no longer lists become removes.
        let now = try LakeJSON.parse(try await t.icebergMetadata().bytes)
        let over = try await clientAppend(t, store, rows: 100..<102, base: now, keepOld: false)
        let o = try await t.icebergCommit(requirements: [], updates: over)
        #expect(o.committed)
        #expect(try await ids(t) == [100, 101])
        let commit = try await t.log.readCommit(o.version)
        #expect(commit.filter { if case .remove = $0 { return true }; return false }.count == 3)
    }

    @Test func partitionedTablesTakeOneValuePerFile() async throws {
        let (store, _) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/part")
        try await t.create(schema: try smallBatch(0..<1).schema, partitionColumns: ["region"])
        let meta = try LakeJSON.parse(try await t.icebergMetadata().bytes)
        // Rows 0..<4 alternate eu/us: one file cannot hold two partitions.
        let mixed = try await clientAppend(t, store, rows: 0..<4, base: meta)
        await #expect(throws: TableError.self) { try await t.icebergCommit(requirements: [], updates: mixed) }
        let single = try await clientAppend(t, store, rows: 1..<2, base: meta)   // id 1: us
        let r = try await t.icebergCommit(requirements: [], updates: single)
        #expect(r.committed)
        #expect(try await t.snapshot().files.map(\.partitionValues) == [["region": "us"]])
        #expect(try await ids(t) == [1])
    }

    @Test func filesOutsideTheTableAreRefused() async throws {
        let (store, _) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/fence")
        try await t.create(schema: try smallBatch(0..<1).schema)
        #expect(throws: TableError.self) { try t.relativePath("file:///etc/passwd") }
        #expect(throws: TableError.self) { try t.relativePath(t.location + "/../other/x.parquet") }
        #expect(throws: TableError.self) { try t.relativePath(t.location + "/_delta_log/00000000000000000001.json") }
        #expect(try t.relativePath(t.location + "/data/a.parquet") == "data/a.parquet")
    }
}

func isConflictAsync<T>(_ body: () async throws -> T) async -> Bool {
    do { _ = try await body() } catch TableError.conflict { return true } catch { return false }
    return false
}
