/// `protocol` action.
public struct DeltaProtocol: Sendable, Equatable {
    public var minReaderVersion: Int
    public var minWriterVersion: Int
    public var readerFeatures: [String]?
    public var writerFeatures: [String]?

    public init(minReaderVersion: Int = 1, minWriterVersion: Int = 2, readerFeatures: [String]? = nil, writerFeatures: [String]? = nil) {
        self.minReaderVersion = minReaderVersion
        self.minWriterVersion = minWriterVersion
        self.readerFeatures = readerFeatures
        self.writerFeatures = writerFeatures
    }

    init(json: LakeJSON) throws {
        guard let r = json["minReaderVersion"]?.int, let w = json["minWriterVersion"]?.int else {
            throw TableError.corrupt(file: "", detail: "protocol action without minReaderVersion/minWriterVersion")
        }
        minReaderVersion = Int(r)
        minWriterVersion = Int(w)
        readerFeatures = json["readerFeatures"]?.array?.compactMap(\.string)
        writerFeatures = json["writerFeatures"]?.array?.compactMap(\.string)
    }

    var json: LakeJSON {
        var o: [(String, LakeJSON)] = [("minReaderVersion", .int(Int64(minReaderVersion))), ("minWriterVersion", .int(Int64(minWriterVersion)))]
        if let readerFeatures { o.append(("readerFeatures", .array(readerFeatures.map { .string($0) }))) }
        if let writerFeatures { o.append(("writerFeatures", .array(writerFeatures.map { .string($0) }))) }
        return .object(o)
    }
}

/// `metaData` action. `schemaString` is the table schema as a JSON *string*.
public struct DeltaMetadata: Sendable, Equatable {
    public var id: String
    public var name: String?
    public var description: String?
    public var provider = "parquet"
    public var schemaString: String
    public var partitionColumns: [String]
    public var configuration: [String: String]
    public var createdTime: Int64?

    public init(id: String, name: String? = nil, schemaString: String, partitionColumns: [String], configuration: [String: String], createdTime: Int64?) {
        self.id = id
        self.name = name
        self.schemaString = schemaString
        self.partitionColumns = partitionColumns
        self.configuration = configuration
        self.createdTime = createdTime
    }

    init(json: LakeJSON) throws {
        guard let id = json["id"]?.string, let schema = json["schemaString"]?.string else {
            throw TableError.corrupt(file: "", detail: "metaData action without id or schemaString")
        }
        self.id = id
        name = json["name"]?.string
        description = json["description"]?.string
        provider = json["format"]?["provider"]?.string ?? "parquet"
        schemaString = schema
        partitionColumns = json["partitionColumns"]?.array?.compactMap(\.string) ?? []
        configuration = json["configuration"]?.stringMap ?? [:]
        createdTime = json["createdTime"]?.int
    }

    var json: LakeJSON {
        var o: [(String, LakeJSON)] = [("id", .string(id))]
        if let name { o.append(("name", .string(name))) }
        if let description { o.append(("description", .string(description))) }
        o += [
            ("format", .object([("provider", .string(provider)), ("options", .object([]))])),
            ("schemaString", .string(schemaString)),
            ("partitionColumns", .array(partitionColumns.map { .string($0) })),
            ("configuration", LakeJSON.strings(configuration)),
        ]
        if let createdTime { o.append(("createdTime", .int(createdTime))) }
        return .object(o)
    }
}

/// `add` action: a data file that is part of the table from this version on.
public struct DeltaAdd: Sendable, Equatable {
    /// Relative to the table root, percent-encoded.
    public var path: String
    /// Partition column → value as a string (nil = null).
    public var partitionValues: [String: String?]
    public var size: Int64
    public var modificationTime: Int64
    public var dataChange: Bool
    /// JSON string {numRecords, minValues, maxValues, nullCount}.
    public var stats: String?
    public var tags: [String: String]?
    public var deletionVector: LakeJSON?

    public init(path: String, partitionValues: [String: String?], size: Int64, modificationTime: Int64, dataChange: Bool = true, stats: String? = nil) {
        self.path = path
        self.partitionValues = partitionValues
        self.size = size
        self.modificationTime = modificationTime
        self.dataChange = dataChange
        self.stats = stats
    }

    init(json: LakeJSON) throws {
        guard let path = json["path"]?.string else { throw TableError.corrupt(file: "", detail: "add action without path") }
        self.path = path
        var pv: [String: String?] = [:]
        for (k, v) in json["partitionValues"]?.object ?? [] { pv[k] = .some(v.string.flatMap { $0.isEmpty ? nil : $0 }) }  // .some: keep null values as keys
        partitionValues = pv
        size = json["size"]?.int ?? 0
        modificationTime = json["modificationTime"]?.int ?? 0
        dataChange = json["dataChange"]?.bool ?? true
        stats = json["stats"]?.string
        tags = json["tags"]?.stringMap
        if let dv = json["deletionVector"], !dv.isNull { deletionVector = dv }
    }

    var json: LakeJSON {
        var o: [(String, LakeJSON)] = [
            ("path", .string(path)),
            ("partitionValues", .object(partitionValues.sorted { $0.key < $1.key }.map { ($0.key, $0.value.map { .string($0) } ?? .null) })),
            ("size", .int(size)), ("modificationTime", .int(modificationTime)), ("dataChange", .bool(dataChange)),
        ]
        if let stats { o.append(("stats", .string(stats))) }
        if let tags { o.append(("tags", LakeJSON.strings(tags))) }
        if let deletionVector { o.append(("deletionVector", deletionVector)) }
        return .object(o)
    }

    /// numRecords from the stats, if present.
    public var numRecords: Int64? {
        guard let stats, let j = try? LakeJSON.parse(stats) else { return nil }
        return j["numRecords"]?.int
    }
}

/// `remove` action: a data file is no longer part of the table.
public struct DeltaRemove: Sendable, Equatable {
    public var path: String
    public var deletionTimestamp: Int64?
    public var dataChange: Bool
    public var partitionValues: [String: String?]?
    public var size: Int64?

    public init(path: String, deletionTimestamp: Int64?, dataChange: Bool = true, partitionValues: [String: String?]? = nil, size: Int64? = nil) {
        self.path = path
        self.deletionTimestamp = deletionTimestamp
        self.dataChange = dataChange
        self.partitionValues = partitionValues
        self.size = size
    }

    init(json: LakeJSON) throws {
        guard let path = json["path"]?.string else { throw TableError.corrupt(file: "", detail: "remove action without path") }
        self.path = path
        deletionTimestamp = json["deletionTimestamp"]?.int
        dataChange = json["dataChange"]?.bool ?? true
        size = json["size"]?.int
        if let o = json["partitionValues"]?.object {
            var pv: [String: String?] = [:]
            for (k, v) in o { pv[k] = .some(v.string.flatMap { $0.isEmpty ? nil : $0 }) }  // .some: keep null values as keys
            partitionValues = pv
        }
    }

    var json: LakeJSON {
        var o: [(String, LakeJSON)] = [("path", .string(path))]
        if let deletionTimestamp { o.append(("deletionTimestamp", .int(deletionTimestamp))) }
        o.append(("dataChange", .bool(dataChange)))
        if let partitionValues {
            o.append(("extendedFileMetadata", .bool(true)))
            o.append(("partitionValues", .object(partitionValues.sorted { $0.key < $1.key }.map { ($0.key, $0.value.map { .string($0) } ?? .null) })))
            if let size { o.append(("size", .int(size))) }
        }
        return .object(o)
    }
}

/// One line of a Delta commit file.
public enum DeltaAction: Sendable, Equatable {
    case `protocol`(DeltaProtocol)
    case metaData(DeltaMetadata)
    case add(DeltaAdd)
    case remove(DeltaRemove)
    case commitInfo(LakeJSON)
    case txn(appId: String, version: Int64, lastUpdated: Int64?)
    /// An action this reader does not interpret (cdc, domainMetadata, checkpointMetadata, ...).
    case other(String, LakeJSON)

    public init(json: LakeJSON) throws {
        guard let o = json.object, o.count >= 1 else { throw TableError.corrupt(file: "", detail: "a Delta action must be a JSON object") }
        let (key, body) = o[0]
        switch key {
        case "protocol": self = .protocol(try DeltaProtocol(json: body))
        case "metaData": self = .metaData(try DeltaMetadata(json: body))
        case "add": self = .add(try DeltaAdd(json: body))
        case "remove": self = .remove(try DeltaRemove(json: body))
        case "commitInfo": self = .commitInfo(body)
        case "txn":
            guard let app = body["appId"]?.string, let v = body["version"]?.int else { throw TableError.corrupt(file: "", detail: "txn action without appId/version") }
            self = .txn(appId: app, version: v, lastUpdated: body["lastUpdated"]?.int)
        default: self = .other(key, body)
        }
    }

    public var json: LakeJSON {
        switch self {
        case .protocol(let p): return .object([("protocol", p.json)])
        case .metaData(let m): return .object([("metaData", m.json)])
        case .add(let a): return .object([("add", a.json)])
        case .remove(let r): return .object([("remove", r.json)])
        case .commitInfo(let c): return .object([("commitInfo", c)])
        case .txn(let app, let v, let t):
            var o: [(String, LakeJSON)] = [("appId", .string(app)), ("version", .int(v))]
            if let t { o.append(("lastUpdated", .int(t))) }
            return .object([("txn", .object(o))])
        case .other(let k, let body): return .object([(k, body)])
        }
    }

    /// Parses a whole commit file (newline-delimited JSON).
    public static func parseCommit(_ bytes: [UInt8], name: String) throws -> [DeltaAction] {
        var actions: [DeltaAction] = []
        var lineNo = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
            lineNo += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            do {
                actions.append(try DeltaAction(json: try LakeJSON.parse(line)))
            } catch let e as TableError {
                if case .corrupt(_, let d) = e { throw TableError.corrupt(file: name, detail: "line \(lineNo): \(d)") }
                throw e
            } catch {
                throw TableError.corrupt(file: name, detail: "line \(lineNo): \(error)")
            }
        }
        return actions
    }

    /// Serializes actions as a commit file.
    public static func serialize(_ actions: [DeltaAction]) -> [UInt8] {
        Array(actions.map { $0.json.serialized() }.joined(separator: "\n").utf8) + [0x0A]
    }
}
