import IngotStorage
import Foundation

/// The table state at one version, replayed from the log.
public struct DeltaSnapshot: Sendable {
    public let version: Int64
    public let proto: DeltaProtocol
    public let metadata: DeltaMetadata
    /// Live data files, sorted by path.
    public let files: [DeltaAdd]
    /// Version at which each live file was added (for Iceberg sequence numbers).
    public let addedVersion: [String: Int64]
    /// Commit timestamp (ms) of every version up to this one, monotonic.
    public let commitTimestamps: [Int64: Int64]

    public var timestamp: Int64 { commitTimestamps[version] ?? 0 }
    public var schema: Schema { get throws { try DeltaSchema.parse(metadata.schemaString, partitionColumns: metadata.partitionColumns) } }
}

/// One row of a table's history.
public struct DeltaCommit: Sendable {
    public let version: Int64
    public let timestamp: Int64
    public let operation: String
    public let info: LakeJSON
    public let actions: [DeltaAction]
}

/// The reader features Ingot understands.
let supportedReaderFeatures: Set<String> = ["timestampNtz", "vacuumProtocolCheck", "columnMapping"]

/// Reads and appends to a table's `_delta_log` in an object store.
public struct DeltaLog: Sendable {
    public let store: any ObjectStore
    /// The table root key, e.g. `warehouse/main/default/orders` (no trailing slash).
    public let tableKey: String

    public init(store: any ObjectStore, tableKey: String) {
        self.store = store
        self.tableKey = tableKey.hasSuffix("/") ? String(tableKey.dropLast()) : tableKey
    }

    public var logPrefix: String { tableKey + "/_delta_log/" }

    public static func commitName(_ version: Int64) -> String {
        let s = String(version)
        return String(repeating: "0", count: max(0, 20 - s.count)) + s + ".json"
    }

    /// Commit files present, by version, with their modification time.
    public func listCommits() async throws -> [(version: Int64, info: ObjectInfo)] {
        let objects = try await store.list(prefix: logPrefix, recursive: false)
        var out: [(Int64, ObjectInfo)] = []
        for o in objects where !o.isDirectory {
            let name = o.key.split(separator: "/").last.map(String.init) ?? ""
            guard name.hasSuffix(".json"), name.count == 25, let v = Int64(name.prefix(20)) else { continue }
            out.append((v, o))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    public func exists() async throws -> Bool { try await !listCommits().isEmpty }

    public func latestVersion() async throws -> Int64? { try await listCommits().last?.version }

    public func readCommit(_ version: Int64) async throws -> [DeltaAction] {
        let key = logPrefix + DeltaLog.commitName(version)
        guard try await store.head(key) != nil else { throw TableError.notFound("Delta log entry \(key) does not exist") }
        return try DeltaAction.parseCommit(try await store.get(key), name: key)
    }

    /// Replays the log up to `version` (nil = latest).
    public func snapshot(version: Int64? = nil) async throws -> DeltaSnapshot {
        try await snapshot(version: version, from: nil)
    }

    /// Replays the log up to `version` (nil = latest), continuing from `base` when given (only the
    /// newer commits are read).
    public func snapshot(version: Int64?, from base: DeltaSnapshot?) async throws -> DeltaSnapshot {
        let commits = try await listCommits()
        guard let latest = commits.last?.version else { throw TableError.notFound("no Delta table at \(tableKey)") }
        let target = version ?? latest
        guard target >= 0, target <= latest else {
            throw TableError.notFound("version \(target) of \(tableKey) does not exist (latest is \(latest))")
        }
        let byVersion = Dictionary(commits.map { ($0.version, $0.info) }, uniquingKeysWith: { a, _ in a })
        if let base, base.version == target { return base }
        var base = base.flatMap { $0.version < target ? $0 : nil }
        if base == nil, let cp = try await checkpointSnapshot(upTo: target, commits: commits) {  // DeltaCheckpoint.swift
            if cp.version == target {
                try DeltaLog.checkReadable(cp)
                return cp
            }
            base = cp
        }
        if base == nil, byVersion[0] == nil {
            if try await store.head(logPrefix + "_last_checkpoint") != nil {
                throw TableError.unsupported("reading Delta checkpoints (the commits before the checkpoint are gone)")
            }
            throw TableError.corrupt(file: logPrefix, detail: "the Delta log has no version 0")
        }
        var proto: DeltaProtocol? = base?.proto
        var metadata: DeltaMetadata? = base?.metadata
        var files: [String: DeltaAdd] = [:]
        for f in base?.files ?? [] { files[f.path] = f }
        var addedVersion: [String: Int64] = base?.addedVersion ?? [:]
        var timestamps: [Int64: Int64] = base?.commitTimestamps ?? [:]
        var previous: Int64 = base.map { $0.commitTimestamps[$0.version] ?? 0 } ?? .min
        let first = (base?.version ?? -1) + 1
        for v in first...target {
            guard let info = byVersion[v] else {
                throw TableError.corrupt(file: logPrefix, detail: "Delta log is missing version \(v) (versions must be contiguous)")
            }
            let ts = max(Int64((info.modified.timeIntervalSince1970 * 1000).rounded()), previous == .min ? 0 : previous + 1)
            timestamps[v] = ts
            previous = ts
            for action in try await readCommit(v) {
                switch action {
                case .protocol(let p): proto = p
                case .metaData(let m): metadata = m
                case .add(let a):
                    if files[a.path] == nil { addedVersion[a.path] = v }
                    files[a.path] = a
                case .remove(let r):
                    files[r.path] = nil
                    addedVersion[r.path] = nil
                default: break
                }
            }
        }
        guard let proto else { throw TableError.corrupt(file: logPrefix, detail: "no protocol action up to version \(target)") }
        guard let metadata else { throw TableError.corrupt(file: logPrefix, detail: "no metaData action up to version \(target)") }
        let snap = DeltaSnapshot(version: target, proto: proto, metadata: metadata, files: files.values.sorted { $0.path < $1.path },
                                 addedVersion: addedVersion, commitTimestamps: timestamps)
        try DeltaLog.checkReadable(snap)
        return snap
    }

    /// Throws naming the first table feature Ingot cannot read.
    static func checkReadable(_ s: DeltaSnapshot) throws {
        if s.proto.minReaderVersion > 3 { throw TableError.unsupported("Delta reader version \(s.proto.minReaderVersion)") }
        for f in s.proto.readerFeatures ?? [] where !supportedReaderFeatures.contains(f) {
            throw TableError.unsupported("Delta reader feature \(f)")
        }
        let mode = s.metadata.configuration["delta.columnMapping.mode"] ?? "none"
        if mode != "none" { throw TableError.unsupported("Delta column mapping (mode \(mode))") }
        if s.files.contains(where: { $0.deletionVector != nil }) { throw TableError.unsupported("Delta deletion vectors") }
        if s.metadata.provider != "parquet" { throw TableError.unsupported("Delta data format \(s.metadata.provider)") }
    }

    /// The latest version whose commit timestamp is at or before `millis`.
    public func version(atTimestamp millis: Int64) async throws -> Int64 {
        let commits = try await listCommits()
        guard !commits.isEmpty else { throw TableError.notFound("no Delta table at \(tableKey)") }
        var previous: Int64 = .min
        var found: Int64?
        for c in commits {
            let ts = max(Int64((c.info.modified.timeIntervalSince1970 * 1000).rounded()), previous == .min ? 0 : previous + 1)
            previous = ts
            if ts <= millis { found = c.version } else { break }
        }
        guard let found else { throw TableError.notFound("\(tableKey) has no version at or before timestamp \(millis)") }
        return found
    }

    /// Every commit, newest first.
    public func history() async throws -> [DeltaCommit] {
        var out: [DeltaCommit] = []
        var previous: Int64 = .min
        for c in try await listCommits() {
            let actions = try await readCommit(c.version)
            let ts = max(Int64((c.info.modified.timeIntervalSince1970 * 1000).rounded()), previous == .min ? 0 : previous + 1)
            previous = ts
            var info = LakeJSON.object([])
            for case .commitInfo(let ci) in actions { info = ci }
            out.append(DeltaCommit(version: c.version, timestamp: ts, operation: info["operation"]?.string ?? "UNKNOWN", info: info, actions: actions))
        }
        return out.reversed()
    }

    /// What a transaction read, for conflict detection.
    public enum ReadSet: Sendable {
        /// Blind append: nothing read, never conflicts with data changes.
        case none
        /// These data files (the ones it scanned, removes or rewrites) must still be live: a concurrent
        /// remove of any of them (also `dataChange: false`) is a conflict; concurrent adds are not.
        case files(Set<String>)
        /// The whole table: any concurrent add or remove (compaction included) is a conflict.
        case wholeTable
    }

    /// Commits `actions` as the version after `readVersion` (nil: create the table at version 0).
    /// On losing the race, re-reads the winners: metadata or protocol changes, and removal of files this
    /// transaction read, are conflicts; otherwise it retries at the next version.
    /// - Returns: the version committed.
    public func commit(_ actions: [DeltaAction], readVersion: Int64?, reads: ReadSet, maxAttempts: Int = 1000) async throws -> Int64 {
        let body = DeltaAction.serialize(actions)
        var attempt = (readVersion ?? -1) + 1
        let changesMetadata = actions.contains { if case .metaData = $0 { return true }; return false }
        for _ in 0..<maxAttempts {
            let key = logPrefix + DeltaLog.commitName(attempt)
            if try await store.putIfAbsent(key, body) {
                await checkpointIfDue(version: attempt)  // DeltaCheckpoint.swift; never fails the commit
                return attempt
            }
            if readVersion == nil && attempt == 0 {
                throw TableError.alreadyExists("table \(tableKey) already exists")
            }
            // Lost: look at what the winner did.
            let winner = try await readCommit(attempt)
            var winnerOp = "a concurrent commit"
            for case .commitInfo(let ci) in winner {
                if let op = ci["operation"]?.string { winnerOp = "a concurrent \(op)" }
            }
            func conflict(_ why: String) -> TableError {
                .conflict("version \(attempt) of \(tableKey) (\(winnerOp)) \(why); this transaction read version \(readVersion.map(String.init) ?? "none") — "
                          + "retry it against the new version")
            }
            for a in winner {
                switch a {
                case .metaData, .protocol:
                    throw conflict("changed the table's metadata or protocol")
                case .remove(let r):
                    // Any removal (also dataChange=false compaction) of a file this transaction read or removes.
                    if case .files(let read) = reads, read.contains(r.path) {
                        throw conflict("removed or rewrote \(r.path), which this transaction read")
                    }
                    if case .wholeTable = reads {
                        throw conflict("removed \(r.path) while this transaction read the whole table")
                    }
                case .add(let a):
                    if case .wholeTable = reads {
                        throw conflict("added \(a.path) while this transaction read the whole table")
                    }
                default: break
                }
            }
            if changesMetadata {
                throw conflict("was committed while this transaction changed the metadata")
            }
            attempt += 1
        }
        throw TableError.conflict("gave up committing to \(tableKey) after \(maxAttempts) attempts")
    }
}

/// Conversion between Delta's schemaString and Ingot schemas.
public enum DeltaSchema {
    static func typeName(_ t: LakeType) -> String {
        switch t {
        case .bool: return "boolean"
        case .int8: return "byte"
        case .int16: return "short"
        case .int32: return "integer"
        case .int64: return "long"
        case .float32: return "float"
        case .float64: return "double"
        case .string: return "string"
        case .binary: return "binary"
        case .date: return "date"
        case .timestamp(let utc): return utc ? "timestamp" : "timestamp_ntz"
        case .decimal(let p, let s): return "decimal(\(p),\(s))"
        case .list: return "array"
        case .struct: return "struct"
        case .map: return "map"
        }
    }

    static func type(_ name: String) throws -> LakeType {
        switch name {
        case "boolean": return .bool
        case "byte": return .int8
        case "short": return .int16
        case "integer": return .int32
        case "long": return .int64
        case "float": return .float32
        case "double": return .float64
        case "string": return .string
        case "binary": return .binary
        case "date": return .date
        case "timestamp": return .timestamp(utc: true)
        case "timestamp_ntz": return .timestamp(utc: false)
        default:
            if name.hasPrefix("decimal("), let t = LakeType(name: name) { return t }
            throw TableError.unsupported("Delta column type \(name)")
        }
    }

    /// The schemaString for a schema (field ids go into each field's metadata as `parquet.field.id`).
    public static func string(_ schema: Schema) -> String {
        let fields: [LakeJSON] = schema.fields.map { f in
            var meta: [(String, LakeJSON)] = []
            if let id = f.id { meta.append(("parquet.field.id", .int(Int64(id)))) }
            return .object([("name", .string(f.name)), ("type", typeJSON(f.type)), ("nullable", .bool(f.nullable)), ("metadata", .object(meta))])
        }
        return LakeJSON.object([("type", "struct"), ("fields", .array(fields))]).serialized()
    }

    /// Parses a schemaString. Fields without an id get positional ids 1...n.
    public static func parse(_ text: String, partitionColumns: [String] = []) throws -> Schema {
        let json: LakeJSON
        do { json = try LakeJSON.parse(text) } catch { throw TableError.corrupt(file: "", detail: "schemaString: \(error)") }
        guard json["type"]?.string == "struct", let fields = json["fields"]?.array else {
            throw TableError.corrupt(file: "", detail: "schemaString is not a struct")
        }
        var out: [Field] = []
        for (i, f) in fields.enumerated() {
            guard let name = f["name"]?.string, let t = f["type"] else { throw TableError.corrupt(file: "", detail: "schemaString field without name/type") }
            let id = f["metadata"]?["parquet.field.id"]?.int ?? f["metadata"]?["delta.columnMapping.id"]?.int ?? Int64(i + 1)
            out.append(Field(name, try type(json: t), nullable: f["nullable"]?.bool ?? true, id: Int32(truncatingIfNeeded: id)))
        }
        return Schema(out)
    }
}
