import Foundation
import IngotCore
import IngotStorage

/// Iceberg REST commits (`requirements` + `updates`, the CommitTableRequest of the Iceberg REST spec)
/// applied to a ``LakeTable``, whose Delta log stays the single commit point.
///
/// The Iceberg metadata a client sees is the mirror of the Delta log (``IcebergMirror``). A commit is:
/// check the requirements against the mirrored metadata of Delta version `v`, turn the updates into
/// one Delta commit (the new main snapshot's live data files become `add`s with stats read from the
/// Parquet footers and row groups, the files it no longer lists become `remove`s; schema additions and
/// properties become a `metaData` action), and put it as version `v + 1` with put-if-absent. Any
/// commit that got there first — an Ingot/Delta writer or another Iceberg client — makes this one fail
/// with ``TableError/conflict(_:)`` (HTTP 409 CommitFailedException): the requirements were checked
/// against `v`, so nothing is rebased and no update is lost. The mirror then writes the Iceberg metadata
/// of `v + 1` (snapshot id `v + 2`), which is what the client gets back.
public struct IcebergCommitResult: Sendable {
    /// The Delta version now current (the new one when `committed`).
    public let version: Int64
    public let committed: Bool
    public let metadataLocation: String
    /// The metadata document, as written.
    public let metadata: [UInt8]
}

/// The Iceberg requirements (`assert-*`) of a commit, checked against the current metadata (nil: no table).
public enum IcebergRequirements {
    public static func check(_ requirements: [LakeJSON], metadata: LakeJSON?) throws {
        for r in requirements {
            guard let type = r["type"]?.string else { throw TableError.invalidArgument("a commit requirement lacks its type") }
            func failed(_ what: String) -> TableError { .conflict("Requirement failed: \(what)") }
            if type == "assert-create" {
                if metadata != nil { throw failed("table already exists") }
                continue
            }
            guard let m = metadata else { throw failed("table does not exist") }
            func expectInt(_ key: String, _ metaKey: String) throws {
                guard let want = r[key]?.int else { throw TableError.invalidArgument("\(type) lacks \(key)") }
                let have = m[metaKey]?.int
                if have != want { throw failed("\(metaKey) changed: expected \(want) != \(have.map(String.init) ?? "none")") }
            }
            switch type {
            case "assert-table-uuid":
                guard let want = r["uuid"]?.string else { throw TableError.invalidArgument("assert-table-uuid lacks uuid") }
                if want.lowercased() != m["table-uuid"]?.string?.lowercased() {
                    throw failed("table UUID does not match: expected \(want) != \(m["table-uuid"]?.string ?? "none")")
                }
            case "assert-ref-snapshot-id":
                guard let ref = r["ref"]?.string else { throw TableError.invalidArgument("assert-ref-snapshot-id lacks ref") }
                var have: Int64? = m["refs"]?[ref]?["snapshot-id"]?.int
                if have == nil, ref == "main", let current = m["current-snapshot-id"]?.int, current >= 0 { have = current }
                let want: Int64? = r["snapshot-id"]?.int
                if want != have {
                    if want == nil { throw failed("branch or tag \(ref) was created concurrently") }
                    if have == nil { throw failed("branch or tag \(ref) is missing, expected \(want!)") }
                    throw failed("branch \(ref) has changed: expected id \(want!) != \(have!)")
                }
            case "assert-current-schema-id": try expectInt("current-schema-id", "current-schema-id")
            case "assert-last-assigned-field-id": try expectInt("last-assigned-field-id", "last-column-id")
            case "assert-last-assigned-partition-id": try expectInt("last-assigned-partition-id", "last-partition-id")
            case "assert-default-spec-id": try expectInt("default-spec-id", "default-spec-id")
            case "assert-default-sort-order-id": try expectInt("default-sort-order-id", "default-sort-order-id")
            default:
                throw TableError.invalidArgument("unknown commit requirement \(type)")
            }
        }
    }
}

/// What a list of Iceberg table updates asks of the Delta table (pure: no IO).
public struct IcebergUpdatePlan: Sendable {
    /// The new schema, when it changed.
    public var schema: Schema?
    /// The new table properties, when they changed.
    public var properties: [String: String]?
    /// The snapshot `main` now points to, when it moved to a snapshot added by this commit.
    public var mainSnapshot: LakeJSON?
    /// Snapshots added by this commit (by id).
    public var addedSnapshots: [Int64: LakeJSON] = [:]

    /// Properties the mirror owns (recomputed for every version); setting them is ignored.
    static let mirrorProperties: Set<String> = ["converted_delta_version", "converted_delta_timestamp", "schema.name-mapping.default"]

    /// - Parameters:
    ///   - metadata: the current Iceberg metadata (the mirror of the current Delta version).
    ///   - schema: the current table schema; `properties`: the Delta configuration.
    public static func plan(_ updates: [LakeJSON], metadata: LakeJSON, schema current: Schema, properties: [String: String]) throws -> IcebergUpdatePlan {
        var plan = IcebergUpdatePlan()
        var props = properties
        var addedSchemas: [Int64: Schema] = [:]
        var lastAddedSchema: Int64?
        var newSchema: Schema?
        let currentSpec = metadata["partition-specs"]?.array?.first { $0["spec-id"]?.int == metadata["default-spec-id"]?.int }
        var lastAddedSpecSame = true
        func unsupported(_ what: String) -> TableError { .unsupported("Iceberg update \(what)") }
        for u in updates {
            guard let action = u["action"]?.string else { throw TableError.invalidArgument("a table update lacks its action") }
            switch action {
            case "assign-uuid":
                if u["uuid"]?.string?.lowercased() != metadata["table-uuid"]?.string?.lowercased() { throw unsupported("assign-uuid (changing the table UUID)") }
            case "upgrade-format-version":
                guard let v = u["format-version"]?.int, v <= 2 else { throw unsupported("upgrade-format-version beyond 2") }
            case "add-schema":
                guard let s = u["schema"] else { throw TableError.invalidArgument("add-schema lacks schema") }
                let parsed = try IcebergSchemaJSON.schema(s)
                let id = s["schema-id"]?.int ?? ((metadata["schemas"]?.array?.compactMap { $0["schema-id"]?.int }.max() ?? 0) + Int64(addedSchemas.count) + 1)
                addedSchemas[id] = parsed
                lastAddedSchema = id
            case "set-current-schema":
                guard var id = u["schema-id"]?.int else { throw TableError.invalidArgument("set-current-schema lacks schema-id") }
                if id == -1 {
                    guard let last = lastAddedSchema else { throw TableError.invalidArgument("set-current-schema -1 without add-schema") }
                    id = last
                }
                if let s = addedSchemas[id] {
                    newSchema = s
                } else if id == metadata["current-schema-id"]?.int {
                    newSchema = nil
                } else {
                    throw unsupported("set-current-schema to an older schema (\(id))")
                }
            case "add-spec":
                guard let spec = u["spec"] else { throw TableError.invalidArgument("add-spec lacks spec") }
                lastAddedSpecSame = samePartitioning(spec, currentSpec)
                if !lastAddedSpecSame { throw unsupported("add-spec (changing the partitioning)") }
            case "set-default-spec":
                let id = u["spec-id"]?.int ?? -1
                if !(id == -1 && lastAddedSpecSame) && id != metadata["default-spec-id"]?.int { throw unsupported("set-default-spec (changing the partitioning)") }
            case "add-sort-order":
                if !(u["sort-order"]?["fields"]?.array ?? []).isEmpty { throw unsupported("add-sort-order (sorted tables)") }
            case "set-default-sort-order":
                let id = u["sort-order-id"]?.int ?? -1
                if id != -1 && id != 0 { throw unsupported("set-default-sort-order (sorted tables)") }
            case "set-location":
                let want = (u["location"]?.string ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
                if want != (metadata["location"]?.string ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "/")) {
                    throw unsupported("set-location (moving a table)")
                }
            case "set-properties":
                guard let kv = u["updates"]?.stringMap else { throw TableError.invalidArgument("set-properties needs string updates") }
                for (k, v) in kv where !mirrorProperties.contains(k) { props[k] = v }
            case "remove-properties":
                for k in u["removals"]?.array?.compactMap(\.string) ?? [] { props.removeValue(forKey: k) }
            case "add-snapshot":
                guard let s = u["snapshot"], let id = s["snapshot-id"]?.int else { throw TableError.invalidArgument("add-snapshot lacks a snapshot id") }
                guard s["manifest-list"]?.string != nil else { throw unsupported("v1 snapshots without a manifest list") }
                if metadata["snapshots"]?.array?.contains(where: { $0["snapshot-id"]?.int == id }) == true || plan.addedSnapshots[id] != nil {
                    throw TableError.conflict("Snapshot \(id) already exists")
                }
                plan.addedSnapshots[id] = s
            case "set-snapshot-ref":
                guard let ref = u["ref-name"]?.string, let id = u["snapshot-id"]?.int else { throw TableError.invalidArgument("set-snapshot-ref lacks ref-name or snapshot-id") }
                guard ref == "main", (u["type"]?.string ?? "branch") == "branch" else { throw unsupported("set-snapshot-ref for branches and tags other than main") }
                if let s = plan.addedSnapshots[id] {
                    plan.mainSnapshot = s
                } else if id == metadata["current-snapshot-id"]?.int {
                    plan.mainSnapshot = nil
                } else {
                    throw unsupported("set-snapshot-ref to an older snapshot (rollback)")
                }
            default:
                throw unsupported(action)
            }
        }
        if let s = newSchema, s.fields.map({ $0 }) != current.fields {
            plan.schema = try evolved(current, to: s)
        }
        if props != properties { plan.properties = props }
        return plan
    }

    /// Same partition fields (source id and transform) as the current spec.
    static func samePartitioning(_ a: LakeJSON, _ b: LakeJSON?) -> Bool {
        func key(_ s: LakeJSON?) -> [String] {
            (s?["fields"]?.array ?? []).map { "\($0["source-id"]?.int ?? -1):\($0["transform"]?.string ?? "")" }
        }
        return key(a) == key(b)
    }

    /// The schemas Delta can follow without rewriting files: the same columns (by id, name and type;
    /// required may become optional) followed by new optional columns.
    static func evolved(_ current: Schema, to new: Schema) throws -> Schema {
        guard new.fields.count >= current.fields.count else { throw TableError.unsupported("Iceberg update dropping columns") }
        for (i, f) in current.fields.enumerated() {
            let g = new.fields[i]
            guard g.id == f.id, g.name == f.name, g.type == f.type, g.nullable || !f.nullable else {
                throw TableError.unsupported("Iceberg schema change of column \(f.name) (only adding optional columns at the end is supported)")
            }
        }
        let known = Set(current.fields.compactMap(\.id))
        for g in new.fields.dropFirst(current.fields.count) {
            guard g.nullable else { throw TableError.invalidArgument("added column \(g.name) must be optional") }
            guard let id = g.id, !known.contains(id) else { throw TableError.invalidArgument("added column \(g.name) reuses a field id") }
        }
        return new
    }
}

/// Iceberg schema JSON ↔ Ingot schemas (primitive columns; field ids kept).
public enum IcebergSchemaJSON {
    /// An Iceberg schema (`{"type": "struct", "fields": [...]}`) as an Ingot schema.
    public static func schema(_ json: LakeJSON) throws -> Schema {
        guard let fields = json["fields"]?.array else { throw TableError.invalidArgument("schema lacks fields") }
        return Schema(try fields.map { f in
            guard let name = f["name"]?.string, let id = f["id"]?.int else { throw TableError.invalidArgument("schema field without name or id") }
            guard let t = f["type"]?.string else { throw TableError.unsupported("nested Iceberg column \(name)") }
            return Field(name, try IcebergTableReader.type(t, column: name), nullable: !(f["required"]?.bool ?? false), id: Int32(truncatingIfNeeded: id))
        })
    }
}

extension LakeTable {
    /// The Iceberg metadata of the current Delta version (mirrored first when it lags).
    public func icebergMetadata() async throws -> (version: Int64, location: String, bytes: [UInt8]) {
        guard let v = try await iceberg.sync(log: log) else { throw TableError.notFound("table \(key) has no commits") }
        let bytes = try await store.get(iceberg.metadataKey(v + 1))
        return (v, iceberg.metadataLocation(deltaVersion: v), bytes)
    }

    /// Applies an Iceberg REST commit (see ``IcebergCommitResult``).
    public func icebergCommit(requirements: [LakeJSON], updates: [LakeJSON]) async throws -> IcebergCommitResult {
        let current = try await icebergMetadata()
        let metadata = try LakeJSON.parse(current.bytes)
        try IcebergRequirements.check(requirements, metadata: metadata)
        let snap = try await log.snapshot(version: current.version)
        try checkWritable(snap)
        let schema = try snap.schema
        let plan = try IcebergUpdatePlan.plan(updates, metadata: metadata, schema: schema, properties: snap.metadata.configuration)

        var actions: [DeltaAction] = []
        var meta = snap.metadata
        if let s = plan.schema {
            if s.fields.contains(where: { $0.type == .timestamp(utc: false) }), snap.proto.readerFeatures?.contains("timestampNtz") != true,
               !schema.fields.contains(where: { $0.type == .timestamp(utc: false) }) {
                throw TableError.unsupported("adding a timestamp (without time zone) column to a table without the timestampNtz feature")
            }
            meta.schemaString = DeltaSchema.string(s)
        }
        if let p = plan.properties { meta.configuration = p }
        if meta != snap.metadata { actions.append(.metaData(meta)) }
        let tableSchema = plan.schema ?? schema

        var adds: [DeltaAdd] = []
        var removes: [DeltaRemove] = []
        var operation = "ICEBERG COMMIT"
        var mode = "Append"
        if let target = plan.mainSnapshot {
            // The new snapshot must descend (through snapshots of this commit) from the current one.
            var parent = target["parent-snapshot-id"]?.int
            var hops = 0
            while let p = parent, let s = plan.addedSnapshots[p], hops < plan.addedSnapshots.count {
                parent = s["parent-snapshot-id"]?.int
                hops += 1
            }
            if parent != metadata["current-snapshot-id"]?.int {
                throw TableError.conflict("snapshot \(target["snapshot-id"]?.int ?? -1) is not based on the current snapshot \(metadata["current-snapshot-id"]?.int ?? -1)")
            }
            let live = try await liveDataFiles(manifestList: target["manifest-list"]?.string ?? "")
            let byURI = Dictionary(snap.files.map { (location + "/" + PartitionValues.decodePath($0.path), $0) }, uniquingKeysWith: { a, _ in a })
            let now = Clock.nowMillis()
            for (uri, old) in byURI where live[uri] == nil {
                removes.append(DeltaRemove(path: old.path, deletionTimestamp: now, dataChange: true, partitionValues: old.partitionValues, size: old.size))
            }
            for (uri, entry) in live.sorted(by: { $0.key < $1.key }) where byURI[uri] == nil {
                adds.append(try await dataFileAdd(uri: uri, recordCount: entry.records, size: entry.size, schema: tableSchema,
                                                  partitionColumns: snap.metadata.partitionColumns, modified: now))
            }
            let op = target["summary"]?["operation"]?.string ?? ""
            switch op {
            case "append", "overwrite": operation = "WRITE"; mode = removes.isEmpty ? "Append" : "Overwrite"
            case "delete": operation = "DELETE"
            default: operation = removes.isEmpty && !adds.isEmpty ? "WRITE" : "ICEBERG COMMIT"
            }
        }
        actions += removes.map { .remove($0) }
        actions += adds.map { .add($0) }
        guard !actions.isEmpty else {
            return IcebergCommitResult(version: current.version, committed: false, metadataLocation: current.location, metadata: current.bytes)
        }
        var info = commitInfo(operation: operation, mode: mode, partitionColumns: meta.partitionColumns, readVersion: snap.version, blind: removes.isEmpty, files: adds)
        info.set("engineInfo", "Ingot/0.1.0 (Iceberg REST)")
        if let id = plan.mainSnapshot?["snapshot-id"]?.int { info.set("icebergSnapshotId", .int(id)) }
        let v: Int64
        do {
            // Exactly version v + 1: the requirements were checked against v.
            v = try await log.commit([.commitInfo(info)] + actions, readVersion: snap.version, reads: .wholeTable, maxAttempts: 1)
        } catch TableError.conflict(let why) {
            throw TableError.conflict("a concurrent commit won: \(why)")
        }
        try await iceberg.sync(log: log, base: snap)
        let bytes = try await store.get(iceberg.metadataKey(v + 1))
        return IcebergCommitResult(version: v, committed: true, metadataLocation: iceberg.metadataLocation(deltaVersion: v), metadata: bytes)
    }

    /// The relative path of a URI inside the table directory; anything else is refused.
    func relativePath(_ uri: String) throws -> String {
        guard uri.hasPrefix(location + "/") else { throw TableError.invalidArgument("\(uri) is outside the table location \(location)") }
        let rel = String(uri.dropFirst(location.count + 1))
        let parts = rel.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.isEmpty, !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }), !rel.hasPrefix("_delta_log/") else {
            throw TableError.invalidArgument("\(uri) is not a valid data file location in table \(location)")
        }
        return rel
    }

    /// Live data files of a snapshot's manifest list (status ADDED or EXISTING), by URI.
    func liveDataFiles(manifestList: String) async throws -> [String: (records: Int64, size: Int64)] {
        let listKey = key + "/" + (try relativePath(manifestList))
        let r = try AvroFileReader(try await store.get(listKey), name: listKey)
        var manifests: [String] = []
        try r.forEach { e in
            if let content = e.field("content", in: r.schema)?.longValue, content != 0 {
                throw TableError.unsupported("Iceberg delete files (row-level deletes; use copy-on-write)")
            }
            guard let p = e.field("manifest_path", in: r.schema)?.stringValue else { throw TableError.corrupt(file: listKey, detail: "manifest without a path") }
            manifests.append(p)
        }
        var live: [String: (records: Int64, size: Int64)] = [:]
        for m in manifests {
            let mk = key + "/" + (try relativePath(m))
            let mr = try AvroFileReader(try await store.get(mk), name: mk)
            let dfSchema = mr.schema.fields.first { $0.name == "data_file" }?.type ?? mr.schema
            var failure: Error?
            try mr.forEach { e in
                if e.field("status", in: mr.schema)?.longValue == 2 { return }
                guard let df = e.field("data_file", in: mr.schema), let path = df.field("file_path", in: dfSchema)?.stringValue else {
                    failure = TableError.corrupt(file: mk, detail: "manifest entry without a file path")
                    return
                }
                if let c = df.field("content", in: dfSchema)?.longValue, c != 0 {
                    failure = TableError.unsupported("Iceberg delete files (row-level deletes; use copy-on-write)")
                }
                if let fmt = df.field("file_format", in: dfSchema)?.stringValue, fmt.uppercased() != "PARQUET" {
                    failure = TableError.unsupported("\(fmt) data files (only Parquet)")
                }
                live[path] = (df.field("record_count", in: dfSchema)?.longValue ?? -1, df.field("file_size_in_bytes", in: dfSchema)?.longValue ?? -1)
            }
            if let failure { throw failure }
        }
        return live
    }

    /// A Delta `add` for a Parquet file a client wrote into the table directory, with Delta stats
    /// computed from its rows (the same stats Ingot's own writer records). Iceberg files hold the
    /// (identity) partition columns too: each must have one value in the file, which becomes the
    /// Delta partition value.
    func dataFileAdd(uri: String, recordCount: Int64, size: Int64, schema: Schema, partitionColumns: [String] = [], modified: Int64) async throws -> DeltaAdd {
        let rel = try relativePath(uri)
        let fileKey = key + "/" + rel
        guard let info = try await store.head(fileKey) else { throw TableError.invalidArgument("data file \(uri) does not exist") }
        let reader = try await ParquetReader.open(try await ObjectSource(store: store, key: fileKey))
        if recordCount >= 0, reader.numRows != recordCount {
            throw TableError.invalidArgument("data file \(uri) holds \(reader.numRows) rows, the manifest says \(recordCount)")
        }
        let present = Set(reader.schema.fields.map(\.name))
        for f in schema.fields where !present.contains(f.name) && !f.nullable {
            throw TableError.invalidArgument("data file \(uri) lacks required column \(f.name)")
        }
        var stats = FileStats(schema: schema, skip: Set(partitionColumns))
        let partIdx = try partitionColumns.map { p in
            guard let i = schema.index(of: p), present.contains(p) else { throw TableError.invalidArgument("data file \(uri) lacks partition column \(p)") }
            return i
        }
        var partition: [String?]?
        for g in 0..<reader.numRowGroups {
            let batch = try TableBatches.conform(try await reader.readRowGroup(g, columns: schema.fields.map(\.name).filter(present.contains)), to: schema)
            for r in 0..<batch.numRows where !partIdx.isEmpty {
                let values = partIdx.map { PartitionValues.string(batch.columns[$0], r) }
                if partition == nil { partition = values }
                if partition! != values { throw TableError.invalidArgument("data file \(uri) holds rows of more than one partition") }
            }
            stats.add(batch)
        }
        var partitionValues: [String: String?] = [:]
        for (i, p) in partitionColumns.enumerated() { partitionValues[p] = partition?[i] ?? nil }
        return DeltaAdd(path: PartitionValues.encodePath(rel), partitionValues: partitionValues, size: size >= 0 ? size : info.size,
                        modificationTime: modified, dataChange: true, stats: stats.json())
    }
}
