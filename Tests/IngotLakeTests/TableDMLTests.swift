import Foundation
import IngotStorage
import Testing
@testable import IngotLake

/// id → name (nil for null) of a version.
private func names(_ t: LakeTable, _ v: TableVersion = .latest) async throws -> [Int64: String?] {
    var out: [Int64: String?] = [:]
    try await t.read(v, columns: ["id", "name"]) { b in
        for r in 0..<b.numRows {
            guard case .int(let id) = b.columns[0].value(at: r) else { continue }
            if case .string(let s) = b.columns[1].value(at: r) { out[id] = s } else { out[id] = .some(nil) }
        }
    }
    return out
}

private func lastCommitInfo(_ t: LakeTable) async throws -> LakeJSON {
    try #require(try await t.history().first).info
}

private func icebergManifestStatuses(_ store: LocalObjectStore, _ tableKey: String, metadataVersion n: Int) async throws -> (op: String?, statuses: [Int64]) {
    let meta = try LakeJSON.parse(try await store.get("\(tableKey)/metadata/v\(n).metadata.json"))
    let snap = try #require(meta["snapshots"]?.array?.last)
    let prefix = "file://" + store.root.path + "/"
    let list = try AvroFileReader(try await store.get(String(try #require(snap["manifest-list"]?.string).dropFirst(prefix.count))))
    var statuses: [Int64] = []
    for e in try list.readAll() {
        let m = try #require(e.field("manifest_path", in: list.schema)?.stringValue)
        let r = try AvroFileReader(try await store.get(String(m.dropFirst(prefix.count))))
        try r.forEach { x in statuses.append(x.field("status", in: r.schema)?.longValue ?? -1) }
    }
    return (snap["summary"]?["operation"]?.string, statuses.sorted())
}

@Suite struct TableDMLTests {
    func table(_ name: String, partitioned: Bool = true) async throws -> (LakeTable, LocalObjectStore) {
        let (store, _) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/\(name)")
        try await t.create(schema: try smallBatch(0..<1).schema, partitionColumns: partitioned ? ["region"] : [])
        try await t.append([try smallBatch(0..<20)])     // v1
        try await t.append([try smallBatch(100..<120)])  // v2
        return (t, store)
    }

    @Test func parserAndThreeValuedLogic() throws {
        let b = try smallBatch(0..<10)
        let f = try PredicateFilter(parsing: "id >= 3 and (name is null or region = 'us') and id != 9", schema: b.schema)
        // name is null for 0 and 5; region 'us' for odd ids.
        #expect(try f.matches(b) == [false, false, false, true, false, true, false, true, false, false])
        // A comparison with a null is not matched, nor is its negation.
        let n = try PredicateFilter(parsing: "name = 'n5' or name <> 'n5'", schema: b.schema)
        #expect(try n.matches(b).enumerated().filter { !$0.element }.map(\.offset) == [0, 5])
        let d = try PredicateFilter(parsing: "day between DATE '2024-10-04' and '2024-10-05' and id in (1, 2, 3, 4)", schema: b.schema)
        // day = 20000 + id % 3; 2024-10-04 is day 20000.
        #expect(PartitionValues.parseDate("2024-10-04") == 20_000)
        #expect(try d.matches(b) == [false, true, false, true, true, false, false, false, false, false])
        #expect(throws: TableError.self) { try PredicateFilter(parsing: "nope = 1", schema: b.schema) }
        #expect(throws: TableError.self) { try PredicateFilter(parsing: "id = 'x'", schema: b.schema) }
        #expect(throws: TableError.self) { try PredicateFilter(parsing: "id = ", schema: b.schema) }
    }

    @Test(arguments: [false, true]) func deleteRewritesOnlyAffectedFiles(partitioned: Bool) async throws {
        let (t, store) = try await table("del\(partitioned)", partitioned: partitioned)
        let before = try await t.snapshot()
        let c = try await t.delete(where: PredicateFilter(.less("id", .int(5))))
        #expect(c.committed && c.version == 3)
        #expect(c.metrics["numDeletedRows"] == 5)
        #expect(try await ids(t) == Array(5..<20) + Array(100..<120))
        let after = try await t.snapshot()
        // Files of the second append (ids 100..<120) are pruned by statistics and untouched.
        let second = Set(before.files.filter { before.addedVersion[$0.path] == 2 }.map(\.path))
        #expect(second.isSubset(of: Set(after.files.map(\.path))))
        #expect(c.metrics["numFilesSkipped"] == Int64(second.count))
        let info = try await lastCommitInfo(t)
        #expect(info["operation"]?.string == "DELETE")
        #expect(info["operationMetrics"]?["numDeletedRows"]?.string == "5")
        #expect(info["operationParameters"]?["predicate"]?.string?.contains("id < 5") == true)
        // Old versions still read.
        #expect(try await ids(t, .version(2)).count == 40)
        // Iceberg: an overwrite snapshot with DELETED entries for the rewritten files.
        let (op, statuses) = try await icebergManifestStatuses(store, t.key, metadataVersion: 4)
        #expect(op == "overwrite")
        #expect(statuses.filter { $0 == 2 }.count == c.metrics["numRemovedFiles"].map(Int.init))
        // No match: no commit.
        let none = try await t.delete(where: PredicateFilter(.greater("id", .int(10_000))))
        #expect(!none.committed && none.version == 3)
        // Everything.
        let all = try await t.delete()
        #expect(all.metrics["numDeletedRows"] == 35 && all.metrics["numAddedFiles"] == 0)
        #expect(try await ids(t).isEmpty)
        #expect(try await icebergManifestStatuses(store, t.key, metadataVersion: 5).op == "delete")
    }

    @Test func deleteByPartitionRemovesWholeFiles() async throws {
        let (t, _) = try await table("delp")
        let c = try await t.delete(where: PredicateFilter(parsing: "region = 'eu'", schema: try await t.snapshot().schema))
        #expect(c.metrics["numAddedFiles"] == 0 && c.metrics["numRemovedFiles"] == 2 && c.metrics["numDeletedRows"] == 20)
        #expect(try await ids(t).allSatisfy { $0 % 2 == 1 })
    }

    @Test func updateSetsValuesAndChecksTypes() async throws {
        let (t, _) = try await table("upd")
        let f = try PredicateFilter(parsing: "id between 3 and 6", schema: try await t.snapshot().schema)
        let c = try await t.update(where: f, set: ["name": .value(.string("changed"))])
        #expect(c.metrics["numUpdatedRows"] == 4)
        let n = try await names(t)
        #expect((3...6).allSatisfy { n[Int64($0)] == "changed" })
        #expect(n[7] == "n7" && n[0] == .some(nil) && n.count == 40)
        // Updating a partition column moves rows between partitions.
        try await t.update(where: PredicateFilter(.equal("id", .int(100))), set: ["region": .value(.string("apac"))])
        var apac: [Int64] = []
        try await t.read(columns: ["id"], partitions: { $0["region"] == "apac" }) { b in
            if case .int64(let xs) = b.columns[0].values { apac += xs }
        }
        #expect(apac == [100])
        // Computed values.
        try await t.update(where: PredicateFilter(.greaterOrEqual("id", .int(110))), set: ["id": .compute { b in
            var out = ColumnBuilder(type: .int64)
            for r in 0..<b.numRows { if case .int(let x)? = b.columns[0].value(at: r) { out.append(.int(x + 1000)) } }
            return out.finish()
        }])
        #expect(Array(try await ids(t).suffix(10)) == Array(Int64(1110)..<1120))
        // Type checks.
        await #expect(throws: TableError.self) { try await t.update(where: AllRows(), set: ["id": .value(.string("abc"))]) }
        await #expect(throws: TableError.self) { try await t.update(where: AllRows(), set: ["id": .value(nil)]) }
        await #expect(throws: TableError.self) { try await t.update(where: AllRows(), set: ["nope": .value(.int(1))]) }
        #expect(try await lastCommitInfo(t)["operation"]?.string == "UPDATE")
    }

    @Test func mergeUpsertsAndRejectsDuplicateSourceKeys() async throws {
        let (t, _) = try await table("mrg")
        var id = ColumnBuilder(type: .int32), name = ColumnBuilder(type: .string)
        for i in [1, 2, 500, 501] { id.append(.int(Int64(i))); name.append(.string("src\(i)")) }
        let src = try RecordBatch(schema: Schema([Field("id", .int32), Field("name", .string)]), columns: [id.finish(), name.finish()])
        let c = try await t.merge(source: [src], keys: ["id"])
        #expect(c.metrics["numTargetRowsUpdated"] == 2 && c.metrics["numTargetRowsInserted"] == 2)
        let n = try await names(t)
        #expect(n[1] == "src1" && n[2] == "src2" && n[500] == "src500" && n[3] == "n3" && n.count == 42)
        // Updated rows keep the columns the source lacks.
        var regions: [Int64: String] = [:]
        try await t.read(columns: ["id", "region"]) { b in
            for r in 0..<b.numRows { if case .int(let i)? = b.columns[0].value(at: r), case .string(let s)? = b.columns[1].value(at: r) { regions[i] = s } }
        }
        #expect(regions[1] == "us" && regions[500] == nil)
        // Two source rows for one target row.
        var id2 = ColumnBuilder(type: .int64)
        for i in [7, 7] { id2.append(.int(Int64(i))) }
        let dup = try RecordBatch(schema: Schema([Field("id", .int64)]), columns: [id2.finish()])
        await #expect(throws: TableError.self) { try await t.merge(source: [dup], keys: ["id"]) }
        // Delete when matched, no inserts.
        let d = try await t.merge(source: [src], keys: ["id"], whenMatched: .delete, whenNotMatchedInsert: false)
        #expect(d.metrics["numTargetRowsDeleted"] == 4)
        #expect(try await ids(t).count == 38)
        #expect(try await lastCommitInfo(t)["operation"]?.string == "MERGE")
    }

    @Test func overwriteWhereReplacesMatchingRows() async throws {
        let (t, store) = try await table("rw")
        let eu = try smallBatch(1000..<1004, region: { _ in "eu" })
        let c = try await t.overwrite(where: PredicateFilter(.equal("region", .string("eu"))), [eu])
        #expect(c.metrics["numDeletedRows"] == 20)
        let got = try await ids(t)
        #expect(got == (Array(Int64(0)..<20) + Array(Int64(100)..<120)).filter { $0 % 2 == 1 } + [1000, 1001, 1002, 1003])
        #expect(try await lastCommitInfo(t)["operationParameters"]?["mode"]?.string == "Overwrite")
        // Rows outside the condition are refused.
        await #expect(throws: TableError.self) { try await t.overwrite(where: PredicateFilter(.equal("region", .string("eu"))), [try smallBatch(0..<3)]) }
        // The partition form.
        try await t.overwrite(partition: ["region": "us"]) { emit in try await emit(try smallBatch(2001..<2002)) }
        #expect(try await ids(t) == [1000, 1001, 1002, 1003, 2001])
        #expect(try await icebergManifestStatuses(store, t.key, metadataVersion: 5).op == "overwrite")
    }

    @Test func optimizeCompactsPerPartition() async throws {
        let (store, _) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/opt")
        try await t.create(schema: try smallBatch(0..<1).schema, partitionColumns: ["region"])
        for k in 0..<6 { try await t.append([try smallBatch(Int64(k * 10)..<Int64(k * 10 + 10))]) }
        #expect(try await t.snapshot().files.count == 12)
        let c = try await t.optimize(targetFileSize: 1 << 20)
        #expect(c.metrics["numRemovedFiles"] == 12 && c.metrics["numAddedFiles"] == 2)
        let snap = try await t.snapshot()
        #expect(snap.files.count == 2 && snap.files.allSatisfy { !$0.dataChange })
        #expect(try await ids(t) == Array(0..<60))
        let commit = try await t.log.readCommit(snap.version)
        #expect(commit.allSatisfy { if case .remove(let r) = $0 { return !r.dataChange }; return true })
        #expect(try await lastCommitInfo(t)["operation"]?.string == "OPTIMIZE")
        let (op, statuses) = try await icebergManifestStatuses(store, t.key, metadataVersion: Int(snap.version) + 1)
        #expect(op == "replace" && statuses.filter { $0 == 2 }.count == 12 && statuses.filter { $0 == 1 }.count == 2)
        // Nothing left to compact.
        #expect(try await t.optimize(targetFileSize: 1 << 20).committed == false)
    }

    @Test func vacuumKeepsRetainedVersions() async throws {
        let (t, store) = try await table("vac")
        try await t.delete(where: PredicateFilter(.less("id", .int(5))))  // v3 rewrites files of v1
        let removedByV3 = Set(try await t.snapshot(.version(2)).files.map(\.path)).subtracting(try await t.snapshot().files.map(\.path))
        #expect(!removedByV3.isEmpty)
        // An orphan from a crashed writer, two hours old, and a fresh one.
        let old = t.key + "/region=eu/part-orphan-old.zstd.parquet", fresh = t.key + "/part-orphan-new.zstd.parquet"
        try await store.put(old, [1, 2, 3])
        try await store.put(fresh, [1, 2, 3])
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: store.root.path + "/" + old)
        await #expect(throws: TableError.self) { try await t.vacuum(retention: 3600) }
        // A 1 h window retains every version: only the old orphan goes.
        #expect(try await t.vacuum(retention: 3600, dryRun: true, enforceRetentionDuration: false) == [old])
        #expect(try await store.head(old) != nil)
        #expect(try await t.vacuum(retention: 3600, enforceRetentionDuration: false) == [old])
        #expect(try await store.head(old) == nil)
        #expect(try await ids(t, .version(1)).count == 20)
        // Zero retention: only the latest version survives; the fresh orphan is older than "now".
        try await Task.sleep(nanoseconds: 20_000_000)
        let gone = try await t.vacuum(retention: 0, enforceRetentionDuration: false)
        #expect(Set(gone) == Set(removedByV3.map { t.key + "/" + PartitionValues.decodePath($0) }).union([fresh]))
        #expect(try await ids(t).count == 35)
        #expect(try await store.list(prefix: t.key + "/_delta_log/", recursive: false).count == 4)
        #expect(try await store.list(prefix: t.key + "/metadata/", recursive: false).contains { $0.key.hasSuffix("v4.metadata.json") })
        await #expect(throws: (any Error).self) { try await ids(t, .version(1)) }
    }

    @Test func filteredReadPrunesAndFilters() async throws {
        let (t, _) = try await table("rd")
        let f = try PredicateFilter(parsing: "id >= 105 and id < 108", schema: try await t.snapshot().schema)
        var got: [Int64] = []
        try await t.read(columns: ["id"], where: f) { b in
            #expect(b.schema.fields.map(\.name) == ["id"])
            if case .int64(let xs) = b.columns[0].values { got += xs }
        }
        #expect(got.sorted() == [105, 106, 107])
        let snap = try await t.snapshot()
        #expect(try t.files(snap, mayMatch: f.pruningHint).allSatisfy { snap.addedVersion[$0.path] == 2 })
        #expect(try t.files(snap, mayMatch: .equal("region", .string("eu"))).count == 2)
    }

    @Test func vacuumRetainsTheVersionCurrentAtTheWindowStart() async throws {
        let (store, _) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/vw")
        try await t.create(schema: try smallBatch(0..<1).schema)
        try await t.append([try smallBatch(0..<10)])                            // v1
        try await Task.sleep(nanoseconds: 1_500_000_000)
        try await t.delete(where: PredicateFilter(.equal("id", .int(1))))     // v2 rewrites v1's file
        try await Task.sleep(nanoseconds: 1_500_000_000)
        try await t.delete(where: PredicateFilter(.equal("id", .int(2))))     // v3 rewrites v2's file
        let v1File = try #require(try await t.snapshot(.version(1)).files.first).path
        let v2File = try #require(try await t.snapshot(.version(2)).files.first).path
        // A 2.5 s window starts while v1 was current: nothing goes.
        #expect(try await t.vacuum(retention: 2.5, enforceRetentionDuration: false).isEmpty)
        // A 1 s window starts while v2 was current: only v1's file goes, v2 and v3 stay readable.
        let gone = try await t.vacuum(retention: 1, enforceRetentionDuration: false)
        #expect(gone == [t.key + "/" + v1File])
        #expect(try await ids(t, .version(2)).count == 9)
        #expect(try await ids(t, .version(3)).count == 8)
        #expect(try await store.head(t.key + "/" + v2File) != nil)
        await #expect(throws: (any Error).self) { try await ids(t, .version(1)) }
    }

    @Test func timeTravelByTimestampAndHistory() async throws {
        let (t, _) = try await table("tt")
        let hist = try await t.historyEntries()
        #expect(hist.map(\.version) == [2, 1, 0])
        #expect(hist[0].operation == "WRITE" && hist[0].engineInfo == "Ingot/0.1.0")
        for h in hist {
            let v = try await t.version(at: Date(timeIntervalSince1970: Double(h.timestamp) / 1000 + 0.0001))
            #expect(v == h.version)
            #expect(try await t.snapshot(.timestamp(h.timestamp)).version == h.version)
        }
        #expect(try await ids(t, .at(Date().addingTimeInterval(5))).count == 40)
        do {
            _ = try await t.snapshot(.at(Date(timeIntervalSince1970: 1000)))
            Issue.record("expected an error before the first commit")
        } catch let e as TableError {
            #expect(e.message.contains("before the first commit"))
        }
        try await t.delete(where: PredicateFilter(.equal("id", .int(3))))
        let d = try #require(try await t.historyEntries(limit: 1).first)
        #expect(d.operation == "DELETE" && d.operationMetrics["numDeletedRows"] == "1" && d.readVersion == 2 && d.isBlindAppend == false)
    }

    @Test func typeWideningOnWriteAndSchemaChange() async throws {
        let (store, _) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/wide")
        try await t.create(schema: Schema([Field("k", .int32), Field("x", .float32), Field("big", .int64), Field("d", .float64)]))
        // int32 → int64 and float32 → float64 on write.
        let b = try RecordBatch(schema: Schema([Field("k", .int32), Field("x", .float32), Field("big", .int32), Field("d", .float32)]), columns: [
            Column(type: .int32, values: .int32([1, 2])), Column(type: .float32, values: .float32([0.5, 1.5])),
            Column(type: .int32, values: .int32([7, 8])), Column(type: .float32, values: .float32([2.5, 3.5])),
        ])
        try await t.append([b])
        let c = try await t.widenColumn("k", to: .int64)
        #expect(c.committed && c.version == 2)
        try await t.widenColumn("x", to: .float64)
        let schema = try await t.snapshot().schema
        #expect(schema.fields.map(\.type) == [.int64, .float64, .int64, .float64])
        #expect(schema.fields.map(\.id) == [1, 2, 3, 4])
        var rows: [RecordBatch] = []
        try await t.read { rows.append($0) }
        #expect(rows.first?.columns[0].values == .int64([1, 2]))
        #expect(rows.first?.columns[1].values == .float64([0.5, 1.5]))
        // Old versions keep their types.
        var old: [RecordBatch] = []
        try await t.read(.version(1)) { old.append($0) }
        #expect(old.first?.columns[0].values == .int32([1, 2]))
        await #expect(throws: TableError.self) { try await t.widenColumn("k", to: .int32) }
        await #expect(throws: TableError.self) { try await t.widenColumn("d", to: .string) }
        let meta = try LakeJSON.parse(try await store.get("warehouse/main/default/wide/metadata/v4.metadata.json"))
        #expect(meta["schemas"]?.array?.count == 3)
    }

    @Test func conflictsAreDetectedOnlyWhenReal() async throws {
        let (t, _) = try await table("cf", partitioned: false)
        let snap = try await t.snapshot()
        let fileA = try #require(snap.files.first { snap.addedVersion[$0.path] == 1 })
        let fileB = try #require(snap.files.first { snap.addedVersion[$0.path] == 2 })
        // The winner rewrites A.
        try await t.delete(where: PredicateFilter(.equal("id", .int(3))))
        let remove = DeltaAction.remove(DeltaRemove(path: fileA.path, deletionTimestamp: 1))
        do {
            _ = try await t.log.commit([remove], readVersion: snap.version, reads: .files([fileA.path]))
            Issue.record("expected a conflict")
        } catch TableError.conflict(let why) {
            #expect(why.contains("DELETE") && why.contains(fileA.path))
        }
        // A blind append and a change to a file the winner did not touch go through.
        let blind = try await t.log.commit([.commitInfo(.object([("operation", "WRITE")]))], readVersion: snap.version, reads: .none)
        #expect(blind == 4)
        let other = try await t.log.commit([.remove(DeltaRemove(path: fileB.path, deletionTimestamp: 1))], readVersion: snap.version, reads: .files([fileB.path]))
        #expect(other == 5)
        // A metadata change by the winner conflicts with everything but... everything.
        let s5 = try await t.snapshot()
        try await t.addColumns([Field("extra", .string)])
        await #expect(throws: TableError.self) { try await t.log.commit([.commitInfo(.object([]))], readVersion: s5.version, reads: .none) }
    }

    @Test func concurrentDeletesAndAppendsInProcess() async throws {
        let (store, _) = try tableStore()
        let t = try LakeTable(store: store, key: "warehouse/main/default/race")
        // (No checkpoint inside the race: that is DeltaCheckpointTests' subject.)
        try await t.create(schema: try smallBatch(0..<1).schema, partitionColumns: ["region"], properties: ["delta.checkpointInterval": "1000"])
        for k in 0..<4 { try await t.append([try smallBatch(Int64(k * 100)..<Int64(k * 100 + 10))]) }
        // Deletes of disjoint id ranges (all in the existing files) race with appends; conflicts retry.
        let conflicts = try await withThrowingTaskGroup(of: Int.self) { g in
            for k in 0..<4 {
                g.addTask {
                    var conflicts = 0
                    while true {
                        do {
                            try await t.delete(where: PredicateFilter(.between("id", .int(Int64(k * 100)), .int(Int64(k * 100 + 4)))))
                            return conflicts
                        } catch TableError.conflict {
                            conflicts += 1
                        }
                    }
                }
                g.addTask { try await t.append([try smallBatch(Int64(1000 + k * 100)..<Int64(1000 + k * 100 + 7))]); return 0 }
            }
            var n = 0
            for try await c in g { n += c }
            return n
        }
        _ = conflicts
        let got = try await ids(t)
        var want: [Int64] = []
        for k in Int64(0)..<4 {
            want += Array((k * 100 + 5)..<(k * 100 + 10))
            want += Array((1000 + k * 100)..<(1000 + k * 100 + 7))
        }
        #expect(got == want.sorted())
        #expect(try await t.snapshot().version == 12)
    }
}
