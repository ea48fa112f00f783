import Foundation
import IngotCore
import IngotStorage

/// Derives Iceberg v2 metadata from a table's Delta log, for the same data files.
///
/// Delta version `v` maps to Iceberg snapshot id `v + 1`, sequence number `v + 1` and metadata file
/// `metadata/v{v+1}.metadata.json`; `metadata/version-hint.text` holds the newest `v+1` (no newline).
/// Every snapshot gets one manifest listing all of its live files (added ones with status ADDED, the
/// others EXISTING with the snapshot and sequence number that added them).
public struct IcebergMirror: Sendable {
    public let store: any ObjectStore
    public let tableKey: String
    /// Absolute URI of the table root, e.g. `file:///data/warehouse/main/default/orders`.
    public let location: String

    public init(store: any ObjectStore, tableKey: String, location: String) {
        self.store = store
        self.tableKey = tableKey
        self.location = location.hasSuffix("/") ? String(location.dropLast()) : location
    }

    public static func snapshotId(forDeltaVersion v: Int64) -> Int64 { v + 1 }
    public static func deltaVersion(forSnapshotId id: Int64) -> Int64 { id - 1 }

    func metadataKey(_ n: Int64) -> String { "\(tableKey)/metadata/v\(n).metadata.json" }
    var hintKey: String { "\(tableKey)/metadata/version-hint.text" }

    /// The metadata file for a Delta version (a full URI).
    public func metadataLocation(deltaVersion v: Int64) -> String { "\(location)/metadata/v\(v + 1).metadata.json" }

    /// The newest metadata version present (vN), from the hint or by listing.
    public func latestMetadataVersion() async throws -> Int64? {
        var best: Int64?
        for o in try await store.list(prefix: "\(tableKey)/metadata/", recursive: false) where !o.isDirectory {
            let name = o.key.split(separator: "/").last.map(String.init) ?? ""
            guard name.hasPrefix("v"), name.hasSuffix(".metadata.json"), let n = Int64(name.dropFirst().dropLast(14)) else { continue }
            best = max(best ?? n, n)
        }
        return best
    }

    /// Writes the Iceberg metadata of every Delta version that lacks it, up to the latest (or `upTo`).
    /// Safe to run concurrently: metadata files are created with put-if-absent.
    /// - Returns: the Delta version now mirrored, or nil for an empty log.
    @discardableResult
    public func sync(log: DeltaLog, upTo: Int64? = nil, base: DeltaSnapshot? = nil) async throws -> Int64? {
        guard let latest = try await log.latestVersion() else { return nil }
        let target = upTo.map { min($0, latest) } ?? latest
        let have = try await latestMetadataVersion() ?? 0   // metadata vN mirrors Delta version N-1
        guard have < target + 1 else {
            // The metadata may be complete while the hint lags (a writer died between the two).
            try await updateHint(target + 1)
            return target
        }
        var previous: LakeJSON? = have > 0 ? try? LakeJSON.parse(try await store.get(metadataKey(have))) : nil
        // A snapshot the caller already holds saves replaying the log from the start.
        let usable = base.flatMap { $0.version <= have - 1 ? $0 : nil }
        var prevSnapshot: DeltaSnapshot? = have > 0 ? try await log.snapshot(version: have - 1, from: usable) : nil
        for v in (have)...target {
            let snap = try await log.snapshot(version: v, from: prevSnapshot)
            let actions = try await log.readCommit(v)
            let meta = try await writeVersion(snap, commit: actions, previous: previous, previousSnapshot: prevSnapshot)
            previous = meta
            prevSnapshot = snap
        }
        try await updateHint(target + 1)
        return target
    }

    /// Points the hint at the newest metadata file. Concurrent mirrors may race; re-checking the
    /// listing after writing keeps the hint from going backwards for long.
    private func updateHint(_ n: Int64) async throws {
        var want = max(n, try await latestMetadataVersion() ?? n)
        for _ in 0..<5 {
            if let cur = try? await store.get(hintKey), let old = Int64(String(decoding: cur, as: UTF8.self)), old >= want {
                return
            }
            try await store.put(hintKey, Array(String(want).utf8))
            let now = try await latestMetadataVersion() ?? want
            if now <= want { return }
            want = now
        }
    }

    private func recordCount(_ add: DeltaAdd) async throws -> Int64 {
        if let n = add.numRecords { return n }
        let key = tableKey + "/" + PartitionValues.decodePath(add.path)
        let reader = try await ParquetReader.open(try await ObjectSource(store: store, key: key))
        return reader.numRows
    }

    /// Writes manifest, manifest list and `v{v+1}.metadata.json` for one Delta version; returns the metadata.
    private func writeVersion(_ snap: DeltaSnapshot, commit: [DeltaAction], previous: LakeJSON?, previousSnapshot: DeltaSnapshot?) async throws -> LakeJSON {
        let v = snap.version
        let snapshotId = IcebergMirror.snapshotId(forDeltaVersion: v)
        let seq = v + 1
        let schema = try snap.schema
        let partitionFields: [Field] = try snap.metadata.partitionColumns.map { name in
            guard let f = schema.fields.first(where: { $0.name == name }) else {
                throw TableError.corrupt(file: tableKey, detail: "partition column \(name) is not in the schema")
            }
            return f
        }

        // Manifest: every live file.
        let partitionRecord = AvroSchema.record("r102", try partitionFields.enumerated().map { i, f in
            AvroField(f.name, try IcebergTypes.avroPartitionType(f.type), id: 1000 + i)
        })
        let dataFile = AvroSchema.record("r2", [
            AvroField("content", .int, id: 134),
            AvroField("file_path", .string, id: 100),
            AvroField("file_format", .string, id: 101),
            AvroField("partition", partitionRecord, id: 102),
            AvroField("record_count", .long, id: 103),
            AvroField("file_size_in_bytes", .long, id: 104),
            AvroField("value_counts", .optional(IcebergStats.kvArray(119, 120, .long)), id: 109),
            AvroField("null_value_counts", .optional(IcebergStats.kvArray(121, 122, .long)), id: 110),
            AvroField("lower_bounds", .optional(IcebergStats.kvArray(126, 127, .bytes)), id: 125),
            AvroField("upper_bounds", .optional(IcebergStats.kvArray(129, 130, .bytes)), id: 128),
        ])
        let entrySchema = AvroSchema.record("manifest_entry", [
            AvroField("status", .int, id: 0),
            AvroField("snapshot_id", .optional(.long), id: 1),
            AvroField("sequence_number", .optional(.long), id: 3),
            AvroField("file_sequence_number", .optional(.long), id: 4),
            AvroField("data_file", dataFile, id: 2),
        ])
        let schemaJSON = IcebergTypes.schemaJSON(schema, id: 0)
        let specFields: [LakeJSON] = partitionFields.enumerated().map { i, f in
            .object([("name", .string(f.name)), ("transform", "identity"), ("source-id", .int(Int64(f.id ?? 0))), ("field-id", .int(Int64(1000 + i)))])
        }

        // Schema ids: keep the previous schemas; add a new one when the schema changed.
        var schemas = previous?["schemas"]?.array ?? []
        var schemaId: Int64 = previous?["current-schema-id"]?.int ?? 0
        if let cur = schemas.first(where: { $0["schema-id"]?.int == schemaId }), IcebergTypes.sameFields(cur, schemaJSON) {
            // unchanged
        } else if schemas.isEmpty {
            schemas = [schemaJSON]
            schemaId = 0
        } else {
            schemaId = (schemas.compactMap { $0["schema-id"]?.int }.max() ?? 0) + 1
            schemas.append(IcebergTypes.schemaJSON(schema, id: Int(schemaId)))
        }
        var currentSchemaJSON = schemaJSON
        currentSchemaJSON.set("schema-id", .int(schemaId))

        var writer = AvroFileWriter(schema: entrySchema, codec: .deflate, metadata: [
            ("schema", currentSchemaJSON.serialized()),
            ("schema-id", String(schemaId)),
            ("partition-spec", LakeJSON.array(specFields).serialized()),
            ("partition-spec-id", "0"),
            ("format-version", "2"),
            ("content", "data"),
        ])
        // Appends that keep the schema reuse the parent's manifests and add one manifest of new files;
        // anything else (removes, metadata changes, no readable parent) rewrites one manifest of all live files.
        let hasRemoves = commit.contains { if case .remove = $0 { return true }; return false }
        let changesMetadata = commit.contains { a in
            switch a {
            case .metaData, .protocol: return true
            default: return false
            }
        }
        var reused: [AvroValue] = []
        var incremental = false
        if v > 0, !hasRemoves, !changesMetadata, let parentList = previousManifestList(previous, parentId: snapshotId - 1) {
            if let entries = try? await readManifestList(parentList) {
                reused = entries
                incremental = true
            }
        }
        let newFiles = incremental ? snap.files.filter { snap.addedVersion[$0.path] == v } : snap.files
        var added = 0, existing = 0
        var addedRows: Int64 = 0, existingRows: Int64 = 0
        let totalSize = snap.files.reduce(Int64(0)) { $0 + $1.size }
        for add in newFiles {
            let rows = try await recordCount(add)
            let addedAt = snap.addedVersion[add.path] ?? v
            let isNew = addedAt == v
            if isNew { added += 1; addedRows += rows } else { existing += 1; existingRows += rows }
            let partition = try partitionFields.map { try IcebergTypes.partitionDatum(add.partitionValues[$0.name] ?? nil, $0.type) }
            let fileSeq = addedAt + 1
            try writer.append(.record([
                .int(isNew ? 1 : 0),
                .long(IcebergMirror.snapshotId(forDeltaVersion: addedAt)),
                .long(fileSeq),
                .long(fileSeq),
                .record([
                    .int(0),
                    .string(location + "/" + PartitionValues.decodePath(add.path)),
                    .string("PARQUET"),
                    .record(partition),
                    .long(rows),
                    .long(add.size),
                ] + IcebergStats.values(add.stats, schema: schema, skip: Set(snap.metadata.partitionColumns))),
            ]))
        }
        // Files this commit removed: DELETED entries (status 2) of this snapshot, keeping the data and file
        // sequence numbers of the snapshot that added them.
        var deletedCount = 0
        var deletedRows: Int64 = 0
        var minDeletedSeq: Int64?
        if let prev = previousSnapshot {
            let prevByPath = Dictionary(prev.files.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
            var seen = Set<String>()
            for case .remove(let r) in commit {
                guard seen.insert(r.path).inserted, snap.addedVersion[r.path] == nil, let old = prevByPath[r.path] else { continue }
                let rows = try await recordCount(old)
                let addedAt = prev.addedVersion[old.path] ?? (v - 1)
                let partition = try partitionFields.map { try IcebergTypes.partitionDatum(old.partitionValues[$0.name] ?? nil, $0.type) }
                try writer.append(.record([
                    .int(2),
                    .long(snapshotId),
                    .long(addedAt + 1),
                    .long(addedAt + 1),
                    .record([
                        .int(0),
                        .string(location + "/" + PartitionValues.decodePath(old.path)),
                        .string("PARQUET"),
                        .record(partition),
                        .long(rows),
                        .long(old.size),
                    ] + IcebergStats.values(old.stats, schema: schema, skip: Set(snap.metadata.partitionColumns))),
                ]))
                deletedCount += 1
                deletedRows += rows
                minDeletedSeq = min(minDeletedSeq ?? (addedAt + 1), addedAt + 1)
            }
        }
        var carriedRows: Int64 = 0
        for e in reused {
            carriedRows += (e.field("added_rows_count", in: IcebergMirror.manifestListSchema)?.longValue ?? 0)
                + (e.field("existing_rows_count", in: IcebergMirror.manifestListSchema)?.longValue ?? 0)
        }
        let uuid = IDGenerator.uuid()
        var manifestListEntries: [AvroValue] = []
        let manifestListSchema = IcebergMirror.manifestListSchema
        if !newFiles.isEmpty || deletedCount > 0 {
            let manifestBytes = try writer.finish()
            let manifestName = "\(uuid)-m0.avro"
            try await store.put("\(tableKey)/metadata/\(manifestName)", manifestBytes)
            let minSeq = min((newFiles.compactMap { snap.addedVersion[$0.path] }.min() ?? v) + 1, minDeletedSeq ?? .max)
            manifestListEntries.append(.record([
                .string("\(location)/metadata/\(manifestName)"), .long(Int64(manifestBytes.count)), .int(0), .int(0),
                .long(seq), .long(minSeq), .long(snapshotId),
                .int(Int32(added)), .int(Int32(existing)), .int(Int32(deletedCount)),
                .long(addedRows), .long(existingRows), .long(deletedRows),
            ]))
        }
        manifestListEntries += reused
        var listWriter = AvroFileWriter(schema: manifestListSchema, codec: .deflate, metadata: [
            ("snapshot-id", String(snapshotId)),
            ("parent-snapshot-id", v > 0 ? String(snapshotId - 1) : "null"),
            ("sequence-number", String(seq)),
            ("format-version", "2"),
        ])
        for e in manifestListEntries { try listWriter.append(e) }
        let listName = "snap-\(snapshotId)-1-\(uuid).avro"
        try await store.put("\(tableKey)/metadata/\(listName)", try listWriter.finish())

        // Operation and summary.
        let removed = deletedCount
        let removedRows = deletedRows
        var operation = "append"
        var info = LakeJSON.object([])
        var dataChange = false
        for a in commit {
            switch a {
            case .commitInfo(let c): info = c
            case .add(let x): dataChange = dataChange || x.dataChange
            case .remove(let r): dataChange = dataChange || r.dataChange
            default: break
            }
        }
        if removed > 0 { operation = !dataChange ? "replace" : added > 0 ? "overwrite" : "delete" }
        if removed > 0, added > 0, info["operationParameters"]?["mode"]?.string?.lowercased() == "overwrite",
           previousSnapshot.map({ Set($0.files.map(\.path)).isSubset(of: Set(commit.compactMap { if case .remove(let r) = $0 { return r.path }; return nil })) }) ?? false {
            operation = "overwrite"
        }
        let totalRows = addedRows + existingRows + carriedRows
        let summary: [(String, LakeJSON)] = [
            ("operation", .string(operation)),
            ("added-data-files", .string(String(added))), ("deleted-data-files", .string(String(removed))),
            ("added-records", .string(String(addedRows))), ("deleted-records", .string(String(removedRows))),
            ("total-data-files", .string(String(snap.files.count))), ("total-records", .string(String(totalRows))),
            ("total-files-size", .string(String(totalSize))), ("total-delete-files", "0"),
            ("total-position-deletes", "0"), ("total-equality-deletes", "0"),
            ("delta-version", .string(String(v))),
        ]
        var snapshotJSON: [(String, LakeJSON)] = [("snapshot-id", .int(snapshotId))]
        if v > 0 { snapshotJSON.append(("parent-snapshot-id", .int(snapshotId - 1))) }
        snapshotJSON += [
            ("sequence-number", .int(seq)), ("timestamp-ms", .int(snap.timestamp)),
            ("manifest-list", .string("\(location)/metadata/\(listName)")),
            ("summary", .object(summary)), ("schema-id", .int(schemaId)),
        ]

        var snapshots = previous?["snapshots"]?.array ?? []
        snapshots.removeAll { $0["snapshot-id"]?.int == snapshotId }
        snapshots.append(.object(snapshotJSON))
        var snapshotLog = previous?["snapshot-log"]?.array ?? []
        snapshotLog.append(.object([("timestamp-ms", .int(snap.timestamp)), ("snapshot-id", .int(snapshotId))]))
        var metadataLog = previous?["metadata-log"]?.array ?? []
        if v > 0, let prevUpdated = previous?["last-updated-ms"]?.int {
            metadataLog.append(.object([("timestamp-ms", .int(prevUpdated)), ("metadata-file", .string("\(location)/metadata/v\(v).metadata.json"))]))
        }
        let nameMapping = LakeJSON.array(schema.fields.map { .object([("field-id", .int(Int64($0.id ?? 0))), ("names", .array([.string($0.name)]))]) })
        var props = snap.metadata.configuration
        props["converted_delta_version"] = String(v)
        props["converted_delta_timestamp"] = String(snap.timestamp)
        props["schema.name-mapping.default"] = nameMapping.serialized()
        props["write.parquet.compression-codec"] = "zstd"
        let lastColumnId = max(Int64(schema.fields.compactMap(\.id).max() ?? 0), previous?["last-column-id"]?.int ?? 0)
        let metadata = LakeJSON.object([
            ("format-version", 2),
            ("table-uuid", .string(IcebergMirror.uuidText(snap.metadata.id))),
            ("location", .string(location)),
            ("last-sequence-number", .int(seq)),
            ("last-updated-ms", .int(max(snap.timestamp, previous?["last-updated-ms"]?.int ?? 0))),
            ("last-column-id", .int(lastColumnId)),
            ("current-schema-id", .int(schemaId)),
            ("schemas", .array(schemas)),
            ("default-spec-id", 0),
            ("partition-specs", .array([.object([("spec-id", 0), ("fields", .array(specFields))])])),
            ("last-partition-id", .int(Int64(999 + partitionFields.count))),
            ("default-sort-order-id", 0),
            ("sort-orders", .array([.object([("order-id", 0), ("fields", .array([]))])])),
            ("properties", LakeJSON.strings(props)),
            ("current-snapshot-id", .int(snapshotId)),
            ("refs", .object([("main", .object([("snapshot-id", .int(snapshotId)), ("type", "branch")]))])),
            ("snapshots", .array(snapshots)),
            ("snapshot-log", .array(snapshotLog)),
            ("metadata-log", .array(metadataLog)),
        ])
        let key = metadataKey(v + 1)
        if try await store.putIfAbsent(key, Array(metadata.serialized(pretty: true).utf8)) {
            return metadata
        }
        // Another process mirrored this version first: continue from its file.
        return try LakeJSON.parse(try await store.get(key))
    }

    /// Object keys of the data files that Iceberg snapshots still reference: the current snapshot, every
    /// snapshot committed at or after `cutoff` (epoch ms), and the one current at `cutoff` (for vacuum).
    public func referencedDataKeys(since cutoff: Int64) async throws -> Set<String> {
        guard let n = try await latestMetadataVersion() else { return [] }
        let meta = try LakeJSON.parse(try await store.get(metadataKey(n)))
        let snapshots = (meta["snapshots"]?.array ?? []).sorted { ($0["timestamp-ms"]?.int ?? 0) < ($1["timestamp-ms"]?.int ?? 0) }
        var wanted: [LakeJSON] = []
        for (i, sn) in snapshots.enumerated() {
            let ts = sn["timestamp-ms"]?.int ?? 0
            let next = i + 1 < snapshots.count ? (snapshots[i + 1]["timestamp-ms"]?.int ?? .max) : .max
            if ts >= cutoff || next > cutoff || sn["snapshot-id"]?.int == meta["current-snapshot-id"]?.int { wanted.append(sn) }
        }
        var keys = Set<String>()
        var seenManifests = Set<String>()
        for sn in wanted {
            guard let list = sn["manifest-list"]?.string, let listKey = key(forURI: list) else { continue }
            let r = try AvroFileReader(try await store.get(listKey), name: listKey)
            var manifests: [String] = []
            try r.forEach { e in if let p = e.field("manifest_path", in: r.schema)?.stringValue { manifests.append(p) } }
            for m in manifests where seenManifests.insert(m).inserted {
                guard let mk = key(forURI: m) else { continue }
                let mr = try AvroFileReader(try await store.get(mk), name: mk)
                let dfSchema = mr.schema.fields.first { $0.name == "data_file" }?.type ?? mr.schema
                try mr.forEach { e in
                    if e.field("status", in: mr.schema)?.longValue == 2 { return }
                    if let path = e.field("data_file", in: mr.schema)?.field("file_path", in: dfSchema)?.stringValue, let k = key(forURI: path) {
                        keys.insert(k)
                    }
                }
            }
        }
        return keys
    }

    static let manifestListSchema = AvroSchema.record("manifest_file", [
        AvroField("manifest_path", .string, id: 500),
        AvroField("manifest_length", .long, id: 501),
        AvroField("partition_spec_id", .int, id: 502),
        AvroField("content", .int, id: 517),
        AvroField("sequence_number", .long, id: 515),
        AvroField("min_sequence_number", .long, id: 516),
        AvroField("added_snapshot_id", .long, id: 503),
        AvroField("added_files_count", .int, id: 504),
        AvroField("existing_files_count", .int, id: 505),
        AvroField("deleted_files_count", .int, id: 506),
        AvroField("added_rows_count", .long, id: 512),
        AvroField("existing_rows_count", .long, id: 513),
        AvroField("deleted_rows_count", .long, id: 514),
    ])

    /// The manifest-list URI of the parent snapshot in the previous metadata.
    func previousManifestList(_ previous: LakeJSON?, parentId: Int64) -> String? {
        previous?["snapshots"]?.array?.first { $0["snapshot-id"]?.int == parentId }?["manifest-list"]?.string
    }

    /// Object key of a URI under this table's location.
    func key(forURI uri: String) -> String? {
        guard uri.hasPrefix(location + "/") else { return nil }
        return tableKey + "/" + uri.dropFirst(location.count + 1)
    }

    /// The entries of a manifest list, re-expressed in ``manifestListSchema`` (by field name).
    func readManifestList(_ uri: String) async throws -> [AvroValue] {
        guard let key = key(forURI: uri) else { throw TableError.invalidArgument("manifest list \(uri) is outside the table") }
        let r = try AvroFileReader(try await store.get(key), name: key)
        var out: [AvroValue] = []
        try r.forEach { e in
            var values: [AvroValue] = []
            for f in IcebergMirror.manifestListSchema.fields {
                guard let v = e.field(f.name, in: r.schema), !v.isNull else {
                    throw TableError.corrupt(file: key, detail: "manifest list entry lacks \(f.name)")
                }
                values.append(v)
            }
            out.append(.record(values))
        }
        return out
    }

    /// Iceberg needs a UUID; Delta ids usually are one. Anything else is mapped to a stable UUID-shaped id.
    static func uuidText(_ id: String) -> String {
        if UUID(uuidString: id) != nil { return id.lowercased() }
        var h: UInt64 = 0xcbf29ce484222325
        var h2: UInt64 = 0x84222325cbf29ce4
        for b in id.utf8 {
            h = (h ^ UInt64(b)) &* 0x100000001b3
            h2 = (h2 ^ UInt64(b)) &* 0x100000001b3
        }
        let hex = String(format: "%016llx%016llx", h, h2)
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }
}

/// Column statistics of a manifest entry, derived from a Delta `add.stats` JSON string.
enum IcebergStats {
    /// Iceberg's Avro form of a map with int keys: an array of key/value records tagged `logicalType: map`.
    static func kvArray(_ keyId: Int, _ valueId: Int, _ valueType: AvroSchema) -> AvroSchema {
        var a = AvroSchema(.array(.record("k\(keyId)_v\(valueId)", [AvroField("key", .int, id: keyId), AvroField("value", valueType, id: valueId)])))
        a.props = [("logicalType", "map")]
        return a
    }

    /// value_counts, null_value_counts, lower_bounds, upper_bounds (null when the stats are missing).
    static func values(_ stats: String?, schema: Schema, skip: Set<String>) -> [AvroValue] {
        guard let stats, let json = try? LakeJSON.parse(stats), let n = json["numRecords"]?.int else { return [.null, .null, .null, .null] }
        var counts: [AvroValue] = [], nulls: [AvroValue] = [], lower: [AvroValue] = [], upper: [AvroValue] = []
        for f in schema.fields where !skip.contains(f.name) {
            guard let id = f.id else { continue }
            let key = AvroValue.int(id)
            if let nc = json["nullCount"]?[f.name]?.int {
                counts.append(.record([key, .long(n)]))
                nulls.append(.record([key, .long(nc)]))
            }
            if let lo = json["minValues"]?[f.name], let b = bound(lo, f.type, upper: false) { lower.append(.record([key, .bytes(b)])) }
            if let hi = json["maxValues"]?[f.name], let b = bound(hi, f.type, upper: true) { upper.append(.record([key, .bytes(b)])) }
        }
        func wrap(_ a: [AvroValue]) -> AvroValue { a.isEmpty ? .null : .array(a) }
        return [wrap(counts), wrap(nulls), wrap(lower), wrap(upper)]
    }

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    /// Iceberg's single-value binary form of a Delta stats value; nil when it cannot be a safe bound.
    static func bound(_ v: LakeJSON, _ t: LakeType, upper: Bool) -> [UInt8]? {
        switch t {
        case .int8, .int16, .int32:
            guard let x = v.int, let i = Int32(exactly: x) else { return nil }
            return le(i)
        case .int64:
            guard let x = v.int else { return nil }
            return le(x)
        case .date:
            guard let s = v.string, let d = PartitionValues.parseDate(s), let i = Int32(exactly: d) else { return nil }
            return le(i)
        case .timestamp:
            // Delta timestamp stats are truncated to milliseconds: widen the upper bound by 999 µs.
            guard let s = v.string, let us = PartitionValues.parseTimestamp(s) else { return nil }
            return le(upper ? us + 999 : us)
        case .float32:
            guard let d = v.double, d.isFinite else { return nil }
            let f = Float(d)
            // Rounding to float may cross the true value: step outward.
            let safe = upper ? (Double(f) < d ? f.nextUp : f) : (Double(f) > d ? f.nextDown : f)
            return le(safe.bitPattern)
        case .float64:
            guard let d = v.double, d.isFinite else { return nil }
            return le(d.bitPattern)
        case .string:
            guard let s = v.string else { return nil }
            // Stats strings may be truncated prefixes: fine for a lower bound, not for an upper one.
            // Writers cut at 32 characters (Spark) or about 32 bytes; anything that long may be cut.
            if upper && (s.count >= 32 || s.utf8.count >= 28) { return nil }
            return Array(s.utf8)
        default:
            return nil
        }
    }
}
