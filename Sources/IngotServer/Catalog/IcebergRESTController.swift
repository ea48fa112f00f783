import Foundation
import Hummingbird
import IngotCatalog
import IngotCore
import IngotLake
import IngotStorage

/// The Iceberg REST catalog (the Apache Iceberg REST OpenAPI) at `/iceberg/v1/…` and
/// `/api/2.1/unity-catalog/iceberg/v1/…`, over the namespace: a catalog is a warehouse (the config
/// `prefix`), its schemas are namespaces, and each table's Iceberg metadata is the mirror of its Delta
/// log. Commits (`POST …/tables/{table}`) become Delta commits (``LakeTable/icebergCommit(requirements:updates:)``),
/// so the Delta and Iceberg views stay identical. Errors use Iceberg's shape, `{"error": {"message", "type", "code"}}`.
struct IcebergRESTController {
    let tables: TableService
    /// Grant rows follow what this API creates, renames and drops, as they do through Unity Catalog's REST.
    let owners: CatalogOwnerGrants

    var namespace: NamespaceStore { tables.namespace }

    static let prefixes = ["/iceberg/v1", "/api/2.1/unity-catalog/iceberg/v1"]

    /// The endpoints advertised by `GET /v1/config` (the spec's `endpoints` list).
    static let endpoints = [
        "GET /v1/{prefix}/namespaces", "POST /v1/{prefix}/namespaces", "GET /v1/{prefix}/namespaces/{namespace}",
        "HEAD /v1/{prefix}/namespaces/{namespace}", "DELETE /v1/{prefix}/namespaces/{namespace}",
        "POST /v1/{prefix}/namespaces/{namespace}/properties", "GET /v1/{prefix}/namespaces/{namespace}/tables",
        "POST /v1/{prefix}/namespaces/{namespace}/tables", "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
        "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}", "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}",
        "DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}", "POST /v1/{prefix}/namespaces/{namespace}/register",
        "POST /v1/{prefix}/tables/rename",
    ]

    func addRoutes(to router: Router<IngotRequestContext>) {
        for prefix in Self.prefixes { addRoutes(to: router.group(RouterPath(prefix))) }
    }

    func addRoutes(to api: RouterGroup<IngotRequestContext>) {
        api.get("config") { request, _ in
            await Self.guarded {
                let warehouse = request.uri.queryParameters.get("warehouse") ?? "main"
                let catalog = try await namespace.catalog(warehouse)
                return try Self.json(Config(defaults: [:], overrides: ["prefix": catalog.name], endpoints: Self.endpoints))
            }
        }
        // MARK: namespaces
        api.get(":prefix/namespaces") { request, context in
            await Self.guarded {
                if let parent = request.uri.queryParameters.get("parent"), !parent.isEmpty {
                    _ = try await schema(context, name: parent)
                    return try Self.json(["namespaces": [[String]]()])   // namespaces are one level deep
                }
                let schemas = try await namespace.schemas(catalog: try context.parameters.require("prefix"))
                return try Self.json(["namespaces": schemas.map { [$0.name] }])
            }
        }
        api.post(":prefix/namespaces") { request, context in
            await Self.guarded {
                let body = try await Self.body(request, context)
                guard let parts = body["namespace"]?.array?.compactMap(\.string), parts.count == 1 else {
                    throw CatalogError.invalidParameter("namespace must be a one-level name (a schema), e.g. [\"sales\"]")
                }
                var properties = body["properties"]?.stringMap ?? [:]
                let comment = properties.removeValue(forKey: "comment")
                do {
                    let s = try await namespace.createSchema(
                        catalog: try context.parameters.require("prefix"), name: parts[0], comment: comment, owner: context.principal.name, properties: properties)
                    try await owners.grant(.schema, s.fullName, to: context.principal)
                    return try Self.json(NamespaceBody(namespace: [s.name], properties: Self.properties(s)))
                } catch CatalogError.alreadyExists(let m) {
                    throw IcebergFailure(status: .conflict, type: "AlreadyExistsException", message: m)
                }
            }
        }
        api.get(":prefix/namespaces/:ns") { _, context in
            await Self.guarded {
                let schema = try await schema(context)
                return try Self.json(NamespaceBody(namespace: [schema.name], properties: Self.properties(schema)))
            }
        }
        api.head(":prefix/namespaces/:ns") { _, context in
            await Self.guarded {
                _ = try await schema(context)
                return Response(status: .noContent)
            }
        }
        api.delete(":prefix/namespaces/:ns") { _, context in
            await Self.guarded {
                let schema = try await schema(context)
                do {
                    try await namespace.deleteSchema(catalog: schema.catalogName, name: schema.name)
                    try await owners.forget(.schema, schema.fullName)
                } catch CatalogError.notEmpty(let m) {
                    throw IcebergFailure(status: .conflict, type: "NamespaceNotEmptyException", message: m)
                }
                return Response(status: .noContent)
            }
        }
        api.post(":prefix/namespaces/:ns/properties") { request, context in
            await Self.guarded {
                let schema = try await schema(context)
                let body = try await Self.body(request, context)
                let removals = body["removals"]?.array?.compactMap(\.string) ?? []
                let updates = body["updates"]?.stringMap ?? [:]
                if let both = removals.first(where: { updates[$0] != nil }) {
                    throw IcebergFailure(status: .unprocessableContent, type: "UnprocessableEntityException", message: "property \(both) is both updated and removed")
                }
                let before = Self.properties(schema)
                let after = try await namespace.updateSchemaProperties(catalog: schema.catalogName, name: schema.name, updates: updates, removals: removals)
                _ = after
                return try Self.json(PropertiesResult(
                    updated: updates.keys.sorted(), removed: removals.filter { before[$0] != nil }.sorted(), missing: removals.filter { before[$0] == nil }.sorted()))
            }
        }
        // MARK: tables
        api.get(":prefix/namespaces/:ns/tables") { _, context in
            await Self.guarded {
                let schema = try await schema(context)
                let records = try await namespace.tables(catalog: schema.catalogName, schema: schema.name)
                return try Self.json(["identifiers": records.map { Identifier(namespace: [$0.name.schema], name: $0.name.table) }])
            }
        }
        api.post(":prefix/namespaces/:ns/tables") { request, context in
            await Self.guarded { try await createTable(request, context) }
        }
        api.get(":prefix/namespaces/:ns/tables/:table") { _, context in
            await Self.guarded { try await loadTable(context) }
        }
        api.head(":prefix/namespaces/:ns/tables/:table") { _, context in
            await Self.guarded {
                _ = try await schema(context)
                _ = try await record(try tableName(context))
                return Response(status: .noContent)
            }
        }
        api.post(":prefix/namespaces/:ns/tables/:table") { request, context in
            await Self.guarded { try await commit(request, context) }
        }
        api.delete(":prefix/namespaces/:ns/tables/:table") { request, context in
            await Self.guarded {
                _ = try await schema(context)
                let name = try tableName(context)
                let record = try await record(name)
                if request.uri.queryParameters.get("purgeRequested")?.lowercased() == "true" {
                    // Purge deletes the files of external tables too (the client asked for it explicitly).
                    try await tables.drop(name)
                    if record.tableType != .managed { try await tables.objects.deleteAll(prefix: record.storageLocation + "/") }
                } else {
                    _ = try await namespace.deleteTable(name)   // the files stay (register brings the table back)
                }
                try await owners.forget(.table, name.description)
                return Response(status: .noContent)
            }
        }
        api.post(":prefix/namespaces/:ns/register") { request, context in
            await Self.guarded { try await register(request, context) }
        }
        api.post(":prefix/tables/rename") { request, context in
            await Self.guarded {
                let body = try await Self.body(request, context)
                let prefix = try context.parameters.require("prefix")
                func name(_ j: LakeJSON?) throws -> TableName {
                    guard let ns = j?["namespace"]?.array?.compactMap(\.string), ns.count == 1, let t = j?["name"]?.string else {
                        throw CatalogError.invalidParameter("rename needs source and destination {namespace: [schema], name}")
                    }
                    return try TableName(catalog: prefix, schema: ns[0], table: t)
                }
                let from = try name(body["source"]), to = try name(body["destination"])
                do {
                    _ = try await namespace.schema(catalog: to.catalog, name: to.schema)
                } catch CatalogError.notFound(let m) {
                    throw IcebergFailure(status: .notFound, type: "NoSuchNamespaceException", message: m)
                }
                let owner = try await record(from).owner
                do {
                    try await namespace.renameTable(from, to: to)
                } catch CatalogError.alreadyExists(let m) {
                    throw IcebergFailure(status: .conflict, type: "AlreadyExistsException", message: m)
                }
                try await owners.transfer(.table, from: (from.description, owner), to: (to.description, owner))
                return Response(status: .noContent)
            }
        }
        api.post(":prefix/transactions/commit") { _, _ in
            Self.error(.notImplemented, "NotImplementedException", "multi-table transactions are not supported: commit each table with POST /v1/{prefix}/namespaces/{namespace}/tables/{table}")
        }
    }

    struct Config: Encodable {
        let defaults: [String: String]
        let overrides: [String: String]
        let endpoints: [String]
    }

    struct NamespaceBody: Encodable {
        let namespace: [String]
        let properties: [String: String]
    }

    struct PropertiesResult: Encodable {
        let updated: [String]
        let removed: [String]
        let missing: [String]
    }

    struct Identifier: Encodable {
        let namespace: [String]
        let name: String
    }

    static func properties(_ schema: SchemaRecord) -> [String: String] {
        var properties = schema.properties
        if let comment = schema.comment { properties["comment"] = comment }
        properties["owner"] = schema.owner
        return properties
    }

    static func body(_ request: Request, _ context: IngotRequestContext) async throws -> LakeJSON {
        let buffer = try await request.body.collect(upTo: context.maxBodyBytes)
        do {
            return try LakeJSON.parse(Array(buffer.readableBytesView))
        } catch {
            throw CatalogError.invalidParameter("the request body is not JSON: \(error)")
        }
    }

    /// Namespaces are one level deep (a schema); multi-level names (joined with 0x1F) don't exist here.
    func schema(_ context: IngotRequestContext, name: String? = nil) async throws -> SchemaRecord {
        let ns = try name ?? context.parameters.require("ns")
        guard !ns.contains("\u{1F}") else {
            throw IcebergFailure(status: .notFound, type: "NoSuchNamespaceException", message: "Namespace does not exist: \(ns.replacingOccurrences(of: "\u{1F}", with: "."))")
        }
        do {
            return try await namespace.schema(catalog: try context.parameters.require("prefix"), name: ns)
        } catch CatalogError.notFound(let message) {
            throw IcebergFailure(status: .notFound, type: "NoSuchNamespaceException", message: message)
        }
    }

    func tableName(_ context: IngotRequestContext) throws -> TableName {
        try TableName(catalog: try context.parameters.require("prefix"), schema: try context.parameters.require("ns"), table: try context.parameters.require("table"))
    }

    func record(_ name: TableName) async throws -> TableRecord {
        guard let r = try await namespace.tableIfExists(name) else {
            throw IcebergFailure(status: .notFound, type: "NoSuchTableException", message: "Table does not exist: \(name)")
        }
        return r
    }

    func open(_ name: TableName) async throws -> (record: TableRecord, table: LakeTable) {
        do {
            return try await tables.open(name)
        } catch CatalogError.notFound(let message) {
            throw IcebergFailure(status: .notFound, type: "NoSuchTableException", message: message)
        }
    }

    /// A LoadTableResult (also CommitTableResponse, which has the same two first fields); the metadata
    /// document is passed through as written (it is the file readers also open).
    static func tableResult(location: String, metadata: [UInt8], config: Bool = true) -> Response {
        var body = Array(#"{"metadata-location":"#.utf8)
        body += Array(CatalogJSON.jsonString(location).utf8)
        if config { body += Array(#","config":{}"#.utf8) }
        body += Array(#","metadata":"#.utf8)
        body += metadata
        body += Array("}".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    func loadTable(_ context: IngotRequestContext) async throws -> Response {
        _ = try await schema(context)
        let (_, table) = try await open(try tableName(context))
        let current = try await table.icebergMetadata()
        return Self.tableResult(location: current.location, metadata: current.bytes)
    }

    /// CreateTableRequest: name, schema, partition-spec (identity transforms), write-order (unsorted),
    /// properties, location (only the managed one). Stage-create is not supported.
    func createTable(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let schemaRecord = try await schema(context)
        let body = try await Self.body(request, context)
        guard let tableNameText = body["name"]?.string, let schemaJSON = body["schema"] else {
            throw CatalogError.invalidParameter("create table needs name and schema")
        }
        if body["stage-create"]?.bool == true {
            throw IcebergFailure(status: .notImplemented, type: "NotImplementedException",
                                 message: "stage-create (create-table transactions) is not supported: create the table, then commit to it")
        }
        let name = try TableName(catalog: schemaRecord.catalogName, schema: schemaRecord.name, table: tableNameText)
        let schema = try IcebergSchemaJSON.schema(schemaJSON)
        var partitionColumns: [String] = []
        for f in body["partition-spec"]?["fields"]?.array ?? [] {
            guard f["transform"]?.string == "identity", let src = f["source-id"]?.int,
                  let column = schema.fields.first(where: { $0.id.map(Int64.init) == src }) else {
                throw IcebergFailure(status: .badRequest, type: "BadRequestException", message: "only identity partition transforms on top-level columns are supported")
            }
            partitionColumns.append(column.name)
        }
        if !(body["write-order"]?["fields"]?.array ?? []).isEmpty {
            throw IcebergFailure(status: .badRequest, type: "BadRequestException", message: "sorted tables (write-order) are not supported")
        }
        let managedKey = TableService.managedKey(name)
        if let location = body["location"]?.string, !location.isEmpty {
            let key = try tables.objectKey(location: location)
            guard key == managedKey else {
                throw IcebergFailure(status: .badRequest, type: "BadRequestException",
                                     message: "location \(location) is not this table's managed location; leave location out")
            }
        }
        var properties = body["properties"]?.stringMap ?? [:]
        let comment = properties.removeValue(forKey: "comment")
        do {
            try await tables.create(name, schema: schema, partitionColumns: partitionColumns, properties: properties, comment: comment, owner: context.principal.name)
        } catch CatalogError.alreadyExists(let m) {
            throw IcebergFailure(status: .conflict, type: "AlreadyExistsException", message: m)
        }
        try await owners.grant(.table, name.description, to: context.principal)
        let (_, table) = try await open(name)
        let current = try await table.icebergMetadata()
        return Self.tableResult(location: current.location, metadata: current.bytes)
    }

    /// CommitTableRequest: requirements checked and updates applied as one Delta commit.
    func commit(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        _ = try await schema(context)
        let body = try await Self.body(request, context)
        let name = try tableName(context)
        let requirements = body["requirements"]?.array ?? []
        let updates = body["updates"]?.array ?? []
        if requirements.contains(where: { $0["type"]?.string == "assert-create" }) {
            if try await namespace.tableIfExists(name) != nil {
                throw IcebergFailure(status: .conflict, type: "CommitFailedException", message: "Requirement failed: table already exists")
            }
            throw IcebergFailure(status: .notImplemented, type: "NotImplementedException", message: "create-table transactions (assert-create) are not supported")
        }
        let (_, table) = try await open(name)
        let result = try await table.icebergCommit(requirements: requirements, updates: updates)
        if result.committed { try await tables.committed(name, table: table, version: result.version) }
        return Self.tableResult(location: result.metadataLocation, metadata: result.metadata, config: false)
    }

    /// RegisterTableRequest: a metadata file of a table directory that holds a Delta log (an Ingot
    /// table whose name was dropped without purge, or a Delta table with Iceberg metadata mirrored by Ingot).
    func register(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let schemaRecord = try await schema(context)
        let body = try await Self.body(request, context)
        guard let tableNameText = body["name"]?.string, let metadataLocation = body["metadata-location"]?.string else {
            throw CatalogError.invalidParameter("register needs name and metadata-location")
        }
        if body["overwrite"]?.bool == true {
            throw IcebergFailure(status: .notImplemented, type: "NotImplementedException", message: "register with overwrite is not supported")
        }
        let name = try TableName(catalog: schemaRecord.catalogName, schema: schemaRecord.name, table: tableNameText)
        let metadataKey = try tables.objectKey(location: metadataLocation)
        let parts = metadataKey.split(separator: "/")
        guard parts.count >= 3, parts[parts.count - 2] == "metadata", metadataKey.hasSuffix(".metadata.json") else {
            throw IcebergFailure(status: .badRequest, type: "BadRequestException", message: "metadata-location must be a …/metadata/*.metadata.json file inside the data directory")
        }
        let key = parts.dropLast(2).joined(separator: "/")
        do {
            try await tables.register(name, key: key, owner: context.principal.name)
            try await owners.grant(.table, name.description, to: context.principal)
        } catch CatalogError.alreadyExists(let m) {
            throw IcebergFailure(status: .conflict, type: "AlreadyExistsException", message: m)
        } catch CatalogError.notFound(let m) {
            throw IcebergFailure(status: .badRequest, type: "BadRequestException",
                                 message: "\(m): only table directories with a Delta log (written by Ingot or a Delta client) can be registered")
        }
        let (_, table) = try await open(name)
        let current = try await table.icebergMetadata()
        return Self.tableResult(location: current.location, metadata: current.bytes)
    }

    /// An error answered as is, in Iceberg's shape.
    struct IcebergFailure: Error {
        let status: HTTPResponse.Status
        let type: String
        let message: String
    }

    static func json(_ value: some Encodable) throws -> Response { try JSONResponse.make(value) }

    /// Iceberg's error shape, `{"error": {"message", "type", "code"}}`, instead of Ingot's.
    static func error(_ status: HTTPResponse.Status, _ type: String, _ message: String) -> Response {
        struct Body: Encodable {
            struct Inner: Encodable {
                let message: String
                let type: String
                let code: Int
            }
            let error: Inner
        }
        let response = (try? JSONResponse.make(Body(error: .init(message: message, type: type, code: Int(status.code))), status: status))
        return response ?? Response(status: status)
    }

    static func guarded(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let e as IcebergFailure {
            return Self.error(e.status, e.type, e.message)
        } catch let e as TableError {
            switch e {
            case .conflict: return Self.error(.conflict, "CommitFailedException", e.message)
            case .unsupported: return Self.error(.notAcceptable, "UnsupportedOperationException", e.message)
            case .notFound: return Self.error(.notFound, "NoSuchTableException", e.message)
            case .alreadyExists: return Self.error(.conflict, "AlreadyExistsException", e.message)
            default: return Self.error(.badRequest, "BadRequestException", e.message)
            }
        } catch let e as CatalogError {
            switch e {
            case .notFound(let m): return Self.error(.notFound, "NoSuchNamespaceException", m)
            case .alreadyExists(let m): return Self.error(.conflict, "AlreadyExistsException", m)
            case .invalidParameter(let m), .notEmpty(let m): return Self.error(.badRequest, "BadRequestException", m)
            }
        } catch let e as any IngotError {
            return Self.error(APIErrorResponse(e).status, "BadRequestException", e.message)
        } catch {
            return Self.error(.internalServerError, "ServiceFailureException", "\(error)")
        }
    }
}
