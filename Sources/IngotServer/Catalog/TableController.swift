import Foundation
import Hummingbird
import IngotCatalog
import IngotCore
import IngotLake
import IngotStorage

/// Table operations with no Unity Catalog shape, under `/api/2.0/ingot/tables/{full_name}/…`:
/// history, preview, ingest (a streamed file upload committed as one version).
struct TableController {
    let tables: TableService
    let stagingDirectory: URL

    func addRoutes(to router: Router<IngotRequestContext>) {
        let group = router.group("/api/2.0/ingot/tables")
        group.get(":full_name/history") { _, context in try await history(try Self.name(context)) }
        group.get(":full_name/preview") { request, context in try await preview(request, try Self.name(context)) }
        group.post(":full_name/ingest") { request, context in try await ingest(request, context) }
        group.put(":full_name/ingest") { request, context in try await ingest(request, context) }
        group.post(":full_name/optimize") { request, context in try await optimize(request, context) }
        group.post(":full_name/vacuum") { request, context in try await vacuum(request, context) }
    }

    static func name(_ context: IngotRequestContext) throws -> TableName {
        try TableName(parsing: try context.parameters.require("full_name"))
    }

    /// `?version=N` or `?timestamp=<ISO-8601 or epoch ms>`; latest otherwise.
    static func version(_ request: Request) throws -> TableVersion {
        let query = request.uri.queryParameters
        if let text = query.get("version") {
            guard let v = Int64(text), v >= 0 else { throw CatalogError.invalidParameter("version must be a non-negative integer, got '\(text)'") }
            return .version(v)
        }
        if let text = query.get("timestamp") {
            if let ms = Int64(text) { return .timestamp(ms) }
            guard let micros = PartitionValues.parseTimestamp(text) else {
                throw CatalogError.invalidParameter("timestamp must be ISO-8601 or epoch milliseconds, got '\(text)'")
            }
            return .timestamp(micros / 1000)
        }
        return .latest
    }

    func history(_ name: TableName) async throws -> Response {
        let commits = try await tables.history(name)
        var out = "{\"history\":["
        for (i, commit) in commits.enumerated() {
            if i > 0 { out += "," }
            var entry = commit.info
            entry.set("version", .int(commit.version))
            entry.set("timestamp", .int(commit.timestamp))
            entry.set("operation", .string(commit.operation))
            out += entry.serialized()
        }
        out += "]}"
        return Self.json(out)
    }

    func preview(_ request: Request, _ name: TableName) async throws -> Response {
        let limitText = request.uri.queryParameters.get("limit") ?? "100"
        guard let limit = Int(limitText), (0...10_000).contains(limit) else {
            throw CatalogError.invalidParameter("limit must be an integer 0-10000, got '\(limitText)'")
        }
        let (schema, batches) = try await tables.preview(name, version: try Self.version(request), limit: limit)
        let columns = CatalogJSON.columns(schema, partitionColumns: [])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out = "{\"columns\":" + String(decoding: try encoder.encode(columns), as: UTF8.self) + ",\"rows\":["
        var first = true
        for batch in batches {
            for row in 0..<batch.numRows {
                out += first ? "[" : ",["
                first = false
                for (c, column) in batch.columns.enumerated() {
                    if c > 0 { out += "," }
                    ValueFormatting.appendJSON(column, row, to: &out)
                }
                out += "]"
            }
        }
        out += "]}"
        return Self.json(out)
    }

    /// The body is the file; `?format=csv|jsonl|parquet` (else from `?filename=`), `?mode=append|overwrite`.
    /// It is staged to a temporary file (Parquet needs random access; CSV needs a sample for its
    /// schema) and committed as one version; the table is created if missing.
    func ingest(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let name = try Self.name(context)
        let query = request.uri.queryParameters
        let modeText = query.get("mode") ?? "append"
        guard let mode = TableService.WriteMode(rawValue: modeText) else {
            throw CatalogError.invalidParameter("mode must be append or overwrite, got '\(modeText)'")
        }
        let filename = query.get("filename") ?? ""
        let format = try IngestFile.format(of: filename, given: query.get("format"))
        try FileManager.default.createDirectory(at: stagingDirectory, withIntermediateDirectories: true)
        let staged = stagingDirectory.appendingPathComponent("ingest-\(IDGenerator.hex32()).\(format.rawValue == "jsonl" ? "jsonl" : format.rawValue)")
        guard FileManager.default.createFile(atPath: staged.path, contents: nil), let handle = FileHandle(forWritingAtPath: staged.path) else {
            throw IngotFailure(.internalError, "cannot stage the upload")
        }
        defer { try? FileManager.default.removeItem(at: staged) }
        var bytes: Int64 = 0
        do {
            for try await buffer in request.body {
                try handle.write(contentsOf: buffer.readableBytesView)
                bytes += Int64(buffer.readableBytes)
            }
            try handle.close()
        } catch {
            try? handle.close()
            throw error
        }
        guard bytes > 0 else { throw CatalogError.invalidParameter("the upload is empty") }
        let file = try await IngestFile(path: staged.path, format: format)
        let result = try await tables.ingest(name, file: file, mode: mode, owner: context.principal.name)
        struct Answer: Encodable {
            let full_name: String
            let version: Int64
            let created: Bool
            let bytes: Int64
        }
        return try JSONResponse.make(Answer(full_name: name.description, version: result.version, created: result.created, bytes: bytes))
    }

    func optimize(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        struct Body: Decodable { let target_file_size: Int64? }
        let body = try await Self.optionalBody(Body.self, request, context)
        if let size = body?.target_file_size, size <= 0 { throw CatalogError.invalidParameter("target_file_size must be positive") }
        let change = try await tables.optimize(try Self.name(context), targetFileSize: body?.target_file_size)
        struct Answer: Encodable {
            let version: Int64
            let committed: Bool
            let metrics: [String: Int64]
        }
        return try JSONResponse.make(Answer(version: change.version, committed: change.committed, metrics: change.metrics))
    }

    func vacuum(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        struct Body: Decodable {
            let retention_hours: Double?
            let dry_run: Bool?
            let force: Bool?
        }
        let body = try await Self.optionalBody(Body.self, request, context)
        if let hours = body?.retention_hours, hours < 0 || !hours.isFinite { throw CatalogError.invalidParameter("retention_hours must be a non-negative number") }
        let files = try await tables.vacuum(
            try Self.name(context), retentionHours: body?.retention_hours, dryRun: body?.dry_run ?? false, force: body?.force ?? false)
        struct Answer: Encodable {
            let dry_run: Bool
            let files: [String]
            let count: Int
        }
        return try JSONResponse.make(Answer(dry_run: body?.dry_run ?? false, files: files, count: files.count))
    }

    /// A JSON body that may be empty.
    static func optionalBody<T: Decodable>(_ type: T.Type, _ request: Request, _ context: IngotRequestContext) async throws -> T? {
        let buffer = try await request.body.collect(upTo: context.maxBodyBytes)
        guard buffer.readableBytes > 0 else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: buffer)
        } catch {
            throw CatalogError.invalidParameter("malformed JSON body: \(error)")
        }
    }

    static func json(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
