import Foundation

/// One data file of an Iceberg snapshot.
public struct IcebergDataFile: Sendable {
    public let path: String
    public let recordCount: Int64
    public let sizeBytes: Int64
    /// Partition tuple by partition field name (rendered values).
    public let partition: [String: LakeJSON]
}

/// Reads Iceberg v1/v2 tables (metadata JSON, manifest lists and manifests) whose files are local
/// (`file://` URIs or plain paths). Row-level delete files and nested types fail with a named error.
public struct IcebergTableReader: Sendable {
    public let metadata: LakeJSON
    public let metadataPath: String

    /// Opens a metadata file, or a table directory through `metadata/version-hint.text` (or the highest
    /// `vN.metadata.json`).
    public static func open(_ location: String) throws -> IcebergTableReader {
        var path = localPath(location)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw TableError.notFound("\(location) does not exist") }
        if isDir.boolValue {
            let metaDir = path + "/metadata"
            if let hint = try? String(contentsOfFile: metaDir + "/version-hint.text", encoding: .utf8) {
                let h = hint.trimmingCharacters(in: .whitespacesAndNewlines)
                path = metaDir + "/" + (h.hasSuffix(".metadata.json") ? h : Int(h) != nil ? "v\(h).metadata.json" : h + ".metadata.json")
            } else {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: metaDir)) ?? []
                let best = names.compactMap { n -> (Int, String)? in
                    guard n.hasPrefix("v"), n.hasSuffix(".metadata.json"), let k = Int(n.dropFirst().dropLast(14)) else { return nil }
                    return (k, n)
                }.max { $0.0 < $1.0 }
                guard let best else { throw TableError.notFound("no Iceberg metadata under \(metaDir)") }
                path = metaDir + "/" + best.1
            }
        }
        let bytes = try readLocal(path)
        let json: LakeJSON
        do { json = try LakeJSON.parse(bytes) } catch { throw TableError.corrupt(file: path, detail: "\(error)") }
        guard let fv = json["format-version"]?.int, fv == 1 || fv == 2 else {
            throw TableError.unsupported("Iceberg format version \(json["format-version"]?.int.map(String.init) ?? "?")")
        }
        return IcebergTableReader(metadata: json, metadataPath: path)
    }

    static func localPath(_ uri: String) -> String {
        // Like pyiceberg, paths in file URIs are taken literally (partition directories may contain `%`).
        if uri.hasPrefix("file://") { return String(uri.dropFirst(7)) }
        if uri.hasPrefix("file:") { return String(uri.dropFirst(5)) }
        return uri
    }

    static func readLocal(_ uri: String) throws -> [UInt8] {
        if let scheme = uri.range(of: "://"), !uri.hasPrefix("file://") {
            throw TableError.unsupported("Iceberg file scheme \(uri[..<scheme.lowerBound])")
        }
        let path = localPath(uri)
        guard let d = FileManager.default.contents(atPath: path) else { throw TableError.notFound("\(path) does not exist") }
        return [UInt8](d)
    }

    public var currentSnapshotId: Int64? {
        guard let id = metadata["current-snapshot-id"]?.int, id >= 0 else { return nil }
        return id
    }

    /// Snapshots in metadata order: id, timestamp and operation.
    public var snapshots: [(id: Int64, timestampMs: Int64, operation: String?)] {
        (metadata["snapshots"]?.array ?? []).compactMap { s in
            guard let id = s["snapshot-id"]?.int else { return nil }
            return (id, s["timestamp-ms"]?.int ?? 0, s["summary"]?["operation"]?.string)
        }
    }

    /// The schema a snapshot was written with (the current schema when it has none).
    public func schema(snapshotId: Int64? = nil) throws -> Schema {
        var schemaId = metadata["current-schema-id"]?.int
        if let snapshotId, let s = metadata["snapshots"]?.array?.first(where: { $0["snapshot-id"]?.int == snapshotId }), let sid = s["schema-id"]?.int {
            schemaId = sid
        }
        let json: LakeJSON?
        if let schemas = metadata["schemas"]?.array {
            json = schemas.first { $0["schema-id"]?.int == schemaId } ?? schemas.last
        } else {
            json = metadata["schema"]
        }
        guard let fields = json?["fields"]?.array else { throw TableError.corrupt(file: metadataPath, detail: "no schema") }
        return Schema(try fields.map { f in
            guard let name = f["name"]?.string, let id = f["id"]?.int else { throw TableError.corrupt(file: metadataPath, detail: "schema field without name or id") }
            guard let t = f["type"]?.string else { throw TableError.unsupported("nested Iceberg column \(name)") }
            return Field(name, try Self.type(t, column: name), nullable: !(f["required"]?.bool ?? false), id: Int32(truncatingIfNeeded: id))
        })
    }

    static func type(_ t: String, column: String) throws -> LakeType {
        switch t {
        case "boolean": return .bool
        case "int": return .int32
        case "long": return .int64
        case "float": return .float32
        case "double": return .float64
        case "date": return .date
        case "timestamp": return .timestamp(utc: false)
        case "timestamptz": return .timestamp(utc: true)
        case "string": return .string
        case "binary": return .binary
        default:
            if t.hasPrefix("decimal("), let d = LakeType(name: t) { return d }
            if t.hasPrefix("fixed[") { return .binary }
            throw TableError.unsupported("Iceberg type \(t) (column \(column))")
        }
    }

    /// The live data files of a snapshot (the current one by default).
    public func dataFiles(snapshotId: Int64? = nil) throws -> [IcebergDataFile] {
        guard let id = snapshotId ?? currentSnapshotId else { return [] }
        guard let snap = metadata["snapshots"]?.array?.first(where: { $0["snapshot-id"]?.int == id }) else {
            throw TableError.notFound("snapshot \(id) does not exist")
        }
        var manifestPaths: [String] = []
        if let list = snap["manifest-list"]?.string {
            let r = try AvroFileReader(try Self.readLocal(list), name: list)
            try r.forEach { e in
                if let content = e.field("content", in: r.schema)?.longValue, content != 0 {
                    throw TableError.unsupported("Iceberg delete files (row-level deletes)")
                }
                guard let p = e.field("manifest_path", in: r.schema)?.stringValue else { throw TableError.corrupt(file: list, detail: "manifest without a path") }
                manifestPaths.append(p)
            }
        } else {
            manifestPaths = snap["manifests"]?.array?.compactMap(\.string) ?? []
        }
        var files: [IcebergDataFile] = []
        for m in manifestPaths {
            let r = try AvroFileReader(try Self.readLocal(m), name: m)
            if r.metadata["content"] == "deletes" { throw TableError.unsupported("Iceberg delete files (row-level deletes)") }
            let dataFileSchema = r.schema.fields.first { $0.name == "data_file" }?.type ?? r.schema
            try r.forEach { e in
                let status = e.field("status", in: r.schema)?.longValue ?? 1
                if status == 2 { return }
                guard let df = e.field("data_file", in: r.schema) else { throw TableError.corrupt(file: m, detail: "entry without data_file") }
                if let content = df.field("content", in: dataFileSchema)?.longValue, content != 0 {
                    throw TableError.unsupported("Iceberg delete files (row-level deletes)")
                }
                guard let path = df.field("file_path", in: dataFileSchema)?.stringValue else { throw TableError.corrupt(file: m, detail: "data file without a path") }
                let format = df.field("file_format", in: dataFileSchema)?.stringValue ?? "PARQUET"
                guard format.uppercased() == "PARQUET" else { throw TableError.unsupported("Iceberg data file format \(format)") }
                var partition: [String: LakeJSON] = [:]
                if let pSchema = dataFileSchema.fields.first(where: { $0.name == "partition" })?.type, let pv = df.field("partition", in: dataFileSchema),
                   case .record(let values) = pv {
                    for (f, v) in zip(pSchema.fields, values) { partition[f.name] = AvroJSON.render(v, f.type) }
                }
                files.append(IcebergDataFile(path: path, recordCount: df.field("record_count", in: dataFileSchema)?.longValue ?? 0,
                                             sizeBytes: df.field("file_size_in_bytes", in: dataFileSchema)?.longValue ?? 0, partition: partition))
            }
        }
        return files
    }

    /// Streams a snapshot's rows in its schema. File columns are matched by field id, else by name;
    /// columns missing from a file read as null.
    public func read(snapshotId: Int64? = nil, _ body: (RecordBatch) async throws -> Void) async throws {
        let schema = try schema(snapshotId: snapshotId)
        for file in try dataFiles(snapshotId: snapshotId) {
            if file.path.contains("://"), !file.path.hasPrefix("file://") { _ = try Self.readLocal(file.path) }
            let reader = try await ParquetReader.open(path: Self.localPath(file.path))
            let byId = Dictionary(reader.schema.fields.compactMap { f in f.id.map { ($0, f.name) } }, uniquingKeysWith: { a, _ in a })
            let names = Set(reader.schema.fields.map(\.name))
            let hasIds = !byId.isEmpty
            let sourceName: [String?] = schema.fields.map { f in
                if hasIds, let id = f.id { return byId[id] }
                return names.contains(f.name) ? f.name : nil
            }
            let wanted = Array(Set(sourceName.compactMap { $0 }))
            func emit(_ b: RecordBatch?, rows: Int) async throws {
                var cols: [Column] = []
                for (i, f) in schema.fields.enumerated() {
                    if let src = sourceName[i], let b, let c = b.column(named: src) {
                        cols.append(try TableBatches.cast(c, to: f.type, column: f.name))
                    } else {
                        cols.append(try TableBatches.constant(nil, f.type, rows: rows))
                    }
                }
                try await body(try RecordBatch(schema: schema, columns: cols))
            }
            if wanted.isEmpty {
                for g in 0..<reader.numRowGroups { try await emit(nil, rows: Int(reader.rowCount(ofRowGroup: g))) }
            } else {
                try await reader.forEachBatch(columns: wanted) { try await emit($0, rows: $0.numRows) }
            }
        }
    }
}
