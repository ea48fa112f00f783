import IngotStorage
import Foundation

/// Classic Delta checkpoints: `_delta_log/%020d.checkpoint.parquet` (one nullable struct column per
/// action kind, one action per row) plus `_delta_log/_last_checkpoint`. Reads single-file and
/// multi-part (`%020d.checkpoint.%010d.%010d.parquet`) checkpoints.
public enum DeltaCheckpoint {
    /// Checkpoint every this many commits unless the table sets `delta.checkpointInterval`.
    public static let defaultInterval = 10

    public static func fileName(_ version: Int64) -> String {
        let s = String(version)
        return String(repeating: "0", count: max(0, 20 - s.count)) + s + ".checkpoint.parquet"
    }

    // MARK: Schema

    static let stringMap = LakeType.mapOf(.string, .string)
    static let stringList = LakeType.listOf(.string)

    static let txnType = LakeType.struct([
        Field("appId", .string, nullable: false), Field("version", .int64, nullable: false), Field("lastUpdated", .int64),
    ])
    static let deletionVectorType = LakeType.struct([
        Field("storageType", .string, nullable: false), Field("pathOrInlineDv", .string, nullable: false), Field("offset", .int32),
        Field("sizeInBytes", .int32, nullable: false), Field("cardinality", .int64, nullable: false),
    ])
    static let addType = LakeType.struct([
        Field("path", .string, nullable: false), Field("partitionValues", stringMap, nullable: false), Field("size", .int64, nullable: false),
        Field("modificationTime", .int64, nullable: false), Field("dataChange", .bool, nullable: false), Field("stats", .string),
        Field("tags", stringMap), Field("deletionVector", deletionVectorType), Field("baseRowId", .int64), Field("defaultRowCommitVersion", .int64),
    ])
    static let removeType = LakeType.struct([
        Field("path", .string, nullable: false), Field("deletionTimestamp", .int64), Field("dataChange", .bool, nullable: false),
        Field("extendedFileMetadata", .bool), Field("partitionValues", stringMap), Field("size", .int64), Field("tags", stringMap),
        Field("deletionVector", deletionVectorType), Field("baseRowId", .int64), Field("defaultRowCommitVersion", .int64),
    ])
    static let metaDataType = LakeType.struct([
        Field("id", .string, nullable: false), Field("name", .string), Field("description", .string),
        Field("format", .struct([Field("provider", .string, nullable: false), Field("options", stringMap)]), nullable: false),
        Field("schemaString", .string, nullable: false), Field("partitionColumns", stringList, nullable: false),
        Field("configuration", stringMap), Field("createdTime", .int64),
    ])
    static let protocolType = LakeType.struct([
        Field("minReaderVersion", .int32, nullable: false), Field("minWriterVersion", .int32, nullable: false),
        Field("readerFeatures", stringList), Field("writerFeatures", stringList),
    ])

    /// The checkpoint file schema (the columns the protocol lists, in its order).
    public static let schema = Schema([
        Field("txn", txnType), Field("add", addType), Field("remove", removeType), Field("metaData", metaDataType), Field("protocol", protocolType),
    ])

    // MARK: Writing

    /// Generic JSON (an action body) to a value of `type`; missing members are null.
    static func nested(_ json: LakeJSON?, _ type: LakeType) -> NestedValue {
        guard let json, !json.isNull else { return .null }
        switch type {
        case .struct(let fs):
            return .struct(fs.map(\.name), fs.map { nested(json[$0.name], $0.type) })
        case .map(_, let vf):
            guard let o = json.object else { return .null }
            return .map(o.map { .scalar(.string($0.0)) }, o.map { nested($0.1, vf.type) })
        case .list(let ef):
            guard let a = json.array else { return .null }
            return .list(a.map { nested($0, ef.type) })
        case .string: return json.string.map { .scalar(.string($0)) } ?? .scalar(.string(json.serialized()))
        case .bool: return json.bool.map { .scalar(.bool($0)) } ?? .null
        case .float32, .float64: return json.double.map { .scalar(.double($0)) } ?? .null
        default: return json.int.map { .scalar(.int($0)) } ?? .null
        }
    }

    /// A value of a checkpoint column back to the JSON form of the action body.
    static func json(_ v: NestedValue) -> LakeJSON {
        switch v {
        case .null: return .null
        case .scalar(let s):
            switch s {
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .double(let d): return .double(d)
            case .string(let t): return .string(t)
            case .bytes(let b): return .string(ValueFormatting.base64(b))
            case .decimal(let d): return .string(String(d))
            }
        case .list(let xs): return .array(xs.map(json))
        case .struct(let names, let values): return .object(zip(names, values).filter { !$0.1.isNull }.map { ($0.0, json($0.1)) })
        case .map(let keys, let values):
            return .object(zip(keys, values).map { (k, v) in (k.string ?? json(k).serialized(), json(v)) })
        }
    }

    /// The checkpoint rows for a snapshot: txns, protocol, metaData, every live file, then the
    /// unexpired tombstones among `extras`.
    static func batch(_ snap: DeltaSnapshot, txns extras: [DeltaAction]) throws -> RecordBatch {
        var rows: [(String, LakeJSON)] = []
        for case .txn(let app, let v, let t) in extras {
            var o: [(String, LakeJSON)] = [("appId", .string(app)), ("version", .int(v))]
            if let t { o.append(("lastUpdated", .int(t))) }
            rows.append(("txn", .object(o)))
        }
        rows.append(("protocol", snap.proto.json))
        rows.append(("metaData", snap.metadata.json))
        for f in snap.files {
            var a = f
            a.dataChange = false
            var body = a.json
            // Null partition values are explicit nulls in the map.
            if case .object(var o) = body, let i = o.firstIndex(where: { $0.0 == "partitionValues" }) {
                o[i].1 = .object(a.partitionValues.sorted { $0.key < $1.key }.map { ($0.key, $0.value.map { .string($0) } ?? .null) })
                body = .object(o)
            }
            rows.append(("add", body))
        }
        for case .remove(let r) in extras {
            var r = r
            r.dataChange = false
            var body = r.json
            if case .object(var o) = body, let pv = r.partitionValues, let i = o.firstIndex(where: { $0.0 == "partitionValues" }) {
                o[i].1 = .object(pv.sorted { $0.key < $1.key }.map { ($0.key, $0.value.map { .string($0) } ?? .null) })
                body = .object(o)
            }
            rows.append(("remove", body))
        }
        var columns: [Column] = []
        for f in schema.fields {
            columns.append(Column.build(f.type, rows.map { $0.0 == f.name ? nested($0.1, f.type) : .null }))
        }
        return try RecordBatch(schema: schema, columns: columns)
    }

    /// Writes the checkpoint of `snap` and then `_last_checkpoint`.
    /// - Returns: the number of actions (rows) in the checkpoint.
    @discardableResult
    public static func write(_ log: DeltaLog, snapshot snap: DeltaSnapshot, txns: [DeltaAction] = []) async throws -> Int64 {
        let batch = try batch(snap, txns: txns)
        let sink = MemorySink()
        var options = ParquetWriteOptions(codec: .snappy)
        options.createdBy = "ingot version 0.1.0 (Delta checkpoint)"
        let w = try ParquetWriter(sink: sink, schema: schema, options: options)
        try await w.write(batch)
        try await w.close()
        try await log.store.put(log.logPrefix + fileName(snap.version), sink.bytes)
        let last = LakeJSON.object([
            ("version", .int(snap.version)), ("size", .int(Int64(batch.numRows))), ("sizeInBytes", .int(Int64(sink.bytes.count))),
            ("numOfAddFiles", .int(Int64(snap.files.count))),
        ])
        // A put is atomic: readers see the old or the new pointer, never a torn one.
        try await log.store.put(log.logPrefix + "_last_checkpoint", Array(last.serialized().utf8))
        return Int64(batch.numRows)
    }

    /// `interval N unit` (Delta's CalendarInterval form) in milliseconds; one week by default.
    static func retentionMillis(_ text: String?) -> Int64 {
        let week: Int64 = 7 * 86_400_000
        guard let text else { return week }
        let parts = text.lowercased().split(separator: " ").filter { $0 != "interval" }
        guard parts.count == 2, let n = Int64(parts[0]) else { return week }
        let unit = parts[1].hasSuffix("s") ? String(parts[1].dropLast()) : String(parts[1])
        let ms: [String: Int64] = ["millisecond": 1, "second": 1000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000, "week": week]
        guard let m = ms[unit] else { return week }
        return n * m
    }

    // MARK: Reading

    /// A complete checkpoint in the log: its version and part keys.
    struct Found {
        var version: Int64
        var keys: [String]
    }

    /// Checkpoints in a log listing, by version: complete ones, plus versions that only have
    /// forms Ingot cannot read (V2/UUID-named checkpoints).
    static func scan(_ objects: [ObjectInfo]) -> (complete: [Int64: [String]], unreadable: [Int64: String]) {
        var single: [Int64: String] = [:]
        var parts: [Int64: [Int: [Int: String]]] = [:]  // version -> total -> part -> key
        var unreadable: [Int64: String] = [:]
        for o in objects where !o.isDirectory {
            let name = o.key.split(separator: "/").last.map(String.init) ?? ""
            guard name.count > 32, let v = Int64(name.prefix(20)), name.dropFirst(20).hasPrefix(".checkpoint.") else { continue }
            let rest = name.dropFirst(32).split(separator: ".", omittingEmptySubsequences: false)
            if rest == ["parquet"] {
                single[v] = o.key
            } else if rest.count == 3, rest[2] == "parquet", rest[0].count == 10, rest[1].count == 10, let p = Int(rest[0]), let n = Int(rest[1]), p >= 1, p <= n {
                parts[v, default: [:]][n, default: [:]][p] = o.key
            } else {
                unreadable[v] = "V2 checkpoint \(name)"
            }
        }
        var complete: [Int64: [String]] = [:]
        for (v, k) in single { complete[v] = [k] }
        for (v, byTotal) in parts where complete[v] == nil {
            for (n, ps) in byTotal where ps.count == n {
                complete[v] = (1...n).map { ps[$0]! }
                break
            }
            if complete[v] == nil { unreadable[v] = "incomplete multi-part checkpoint at version \(v)" }
        }
        return (complete, unreadable)
    }

    /// The actions stored in a checkpoint's parts.
    static func readActions(_ store: any ObjectStore, keys: [String]) async throws -> [DeltaAction] {
        var out: [DeltaAction] = []
        let wanted = ["protocol", "metaData", "add", "remove", "txn"]
        for key in keys {
            let r = try await ParquetReader.open(try await ObjectSource(store: store, key: key))
            for n in wanted where r.skippedColumns.contains(n) {
                throw TableError.unsupported("checkpoint \(key): column \(n) has a shape Ingot cannot read")
            }
            let names = wanted.filter { n in r.columns.contains { $0.field.name == n && $0.isNested } }
            guard !names.isEmpty else { throw TableError.corrupt(file: key, detail: "checkpoint has no action columns") }
            try await r.forEachBatch(columns: names) { b in
                for row in 0..<b.numRows {
                    for (k, c) in b.columns.enumerated() where !c.isNull(row) {
                        let body = json(c.nestedValue(at: row))
                        do {
                            out.append(try DeltaAction(json: .object([(names[k], body)])))
                        } catch TableError.corrupt(_, let d) {
                            throw TableError.corrupt(file: key, detail: "row \(row): \(d)")
                        }
                    }
                }
            }
        }
        return out
    }
}

extension DeltaLog {
    /// Writes a checkpoint at `version` if the table's `delta.checkpointInterval` (default 10) says
    /// one is due. Never throws: a failed checkpoint leaves the log as it was (readers replay JSON).
    /// - Returns: whether a checkpoint was written.
    @discardableResult
    public func checkpointIfDue(version: Int64) async -> Bool {
        guard version > 0 else { return false }
        do {
            let snap = try await snapshot(version: version)
            let interval = snap.metadata.configuration["delta.checkpointInterval"].flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
                ?? Int64(DeltaCheckpoint.defaultInterval)
            guard interval > 0, version % interval == 0 else { return false }
            try await writeCheckpoint(snap)
            return true
        } catch {
            return false
        }
    }

    /// Writes a checkpoint of `snap` (and points `_last_checkpoint` at it unless a newer one exists).
    public func writeCheckpoint(_ snap: DeltaSnapshot) async throws {
        let txns = try await checkpointExtras(snap)
        if let last = try? await readLastCheckpoint(), last > snap.version {
            // Only write the file; keep the pointer on the newer checkpoint.
            let batch = try DeltaCheckpoint.batch(snap, txns: txns)
            let sink = MemorySink()
            let w = try ParquetWriter(sink: sink, schema: DeltaCheckpoint.schema, options: ParquetWriteOptions(codec: .snappy))
            try await w.write(batch)
            try await w.close()
            try await store.put(logPrefix + DeltaCheckpoint.fileName(snap.version), sink.bytes)
            return
        }
        try await DeltaCheckpoint.write(self, snapshot: snap, txns: txns)
    }

    /// What a checkpoint carries besides the live files: the newest txn per application id and
    /// the tombstones (remove actions) younger than `delta.deletedFileRetentionDuration` (default
    /// one week) whose files are not live again. Read from the previous checkpoint and the commits
    /// after it.
    func checkpointExtras(_ snap: DeltaSnapshot) async throws -> [DeltaAction] {
        let version = snap.version
        var apps: [String: DeltaAction] = [:]
        var tombstones: [String: DeltaRemove] = [:]
        func take(_ actions: [DeltaAction]) {
            for a in actions {
                switch a {
                case .txn(let app, let v, let t): apps[app] = .txn(appId: app, version: v, lastUpdated: t)
                case .remove(let r): tombstones[r.path] = r
                case .add(let x): tombstones[x.path] = nil
                default: break
                }
            }
        }
        let objects = try await store.list(prefix: logPrefix, recursive: false)
        let found = DeltaCheckpoint.scan(objects).complete.filter { $0.key < version }.max { $0.key < $1.key }
        var first: Int64 = 0
        if let found {
            take(try await DeltaCheckpoint.readActions(store, keys: found.value))
            first = found.key + 1
        }
        if first <= version {
            for v in first...version {
                guard try await store.head(logPrefix + DeltaLog.commitName(v)) != nil else { continue }
                take(try await readCommit(v))
            }
        }
        let live = Set(snap.files.map(\.path))
        let retention = DeltaCheckpoint.retentionMillis(snap.metadata.configuration["delta.deletedFileRetentionDuration"])
        let cutoff = Int64(Date().timeIntervalSince1970 * 1000) - retention
        let removes = tombstones.values.filter { !live.contains($0.path) && ($0.deletionTimestamp ?? .max) >= cutoff }.sorted { $0.path < $1.path }
        return apps.keys.sorted().map { apps[$0]! } + removes.map { .remove($0) }
    }

    /// The version `_last_checkpoint` names, if the file exists and parses.
    public func readLastCheckpoint() async throws -> Int64? {
        let key = logPrefix + "_last_checkpoint"
        guard try await store.head(key) != nil else { return nil }
        return try LakeJSON.parse(try await store.get(key))["version"]?.int
    }

    /// The snapshot stored in the best checkpoint at or before `target`: the one `_last_checkpoint`
    /// names if usable, else the newest complete checkpoint file. Nil when there is none.
    func checkpointSnapshot(upTo target: Int64, commits: [(version: Int64, info: ObjectInfo)]) async throws -> DeltaSnapshot? {
        let objects = try await store.list(prefix: logPrefix, recursive: false)
        let (complete, unreadable) = DeltaCheckpoint.scan(objects)
        var chosen: Int64?
        if let hinted = try? await readLastCheckpoint(), hinted <= target, complete[hinted] != nil { chosen = hinted }
        if chosen == nil { chosen = complete.keys.filter { $0 <= target }.max() }
        if chosen == nil, commits.first?.version != 0, let bad = unreadable.filter({ $0.key <= target }).max(by: { $0.key < $1.key }) {
            throw TableError.unsupported("reading Delta checkpoints of this kind (\(bad.value))")
        }
        guard let cp = chosen, let keys = complete[cp] else { return nil }
        var proto: DeltaProtocol?
        var metadata: DeltaMetadata?
        var files: [DeltaAdd] = []
        for action in try await DeltaCheckpoint.readActions(store, keys: keys) {
            switch action {
            case .protocol(let p): proto = p
            case .metaData(let m): metadata = m
            case .add(let a): files.append(a)
            default: break
            }
        }
        guard let proto, let metadata else { throw TableError.corrupt(file: keys[0], detail: "checkpoint without protocol or metaData") }
        var timestamps: [Int64: Int64] = [:]
        var previous: Int64 = .min
        for c in commits where c.version <= cp {
            let ts = max(Int64((c.info.modified.timeIntervalSince1970 * 1000).rounded()), previous == .min ? 0 : previous + 1)
            timestamps[c.version] = ts
            previous = ts
        }
        files.sort { $0.path < $1.path }
        return DeltaSnapshot(version: cp, proto: proto, metadata: metadata, files: files,
                             addedVersion: Dictionary(files.map { ($0.path, cp) }, uniquingKeysWith: { a, _ in a }), commitTimestamps: timestamps)
    }
}
