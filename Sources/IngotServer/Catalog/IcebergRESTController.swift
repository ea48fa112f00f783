import Foundation
import Hummingbird
import IngotCatalog
import IngotCore
import IngotLake
import IngotStorage

/// The Iceberg REST catalog (`/iceberg/v1/…`, the Apache Iceberg REST OpenAPI) over the namespace, so
/// pyiceberg, Spark and Trino load Ingot tables by name: a catalog is a warehouse (the config
/// `prefix`), its schemas are namespaces, and each table's current Iceberg metadata (mirrored from
/// its Delta log) is served as the LoadTableResult. Reads only for now: writes go through Ingot's
/// own APIs and SQL, and Iceberg commits answer NotImplemented in Iceberg's error shape.
struct IcebergRESTController {
    let tables: TableService

    var namespace: NamespaceStore { tables.namespace }

    func addRoutes(to router: Router<IngotRequestContext>) {
        let api = router.group("/iceberg/v1")
        api.get("config") { request, _ in
            await Self.guarded {
                let warehouse = request.uri.queryParameters.get("warehouse") ?? "main"
                let catalog = try await namespace.catalog(warehouse)
                return try Self.json(["defaults": [String: String](), "overrides": ["prefix": catalog.name]])
            }
        }
        api.get(":prefix/namespaces") { _, context in
            await Self.guarded {
                let schemas = try await namespace.schemas(catalog: try context.parameters.require("prefix"))
                return try Self.json(["namespaces": schemas.map { [$0.name] }])
            }
        }
        api.get(":prefix/namespaces/:ns") { _, context in
            await Self.guarded {
                let schema = try await schema(context)
                var properties = schema.properties
                if let comment = schema.comment { properties["comment"] = comment }
                properties["owner"] = schema.owner
                return try Self.json(NamespaceBody(namespace: [schema.name], properties: properties))
            }
        }
        api.head(":prefix/namespaces/:ns") { _, context in
            await Self.guarded {
                _ = try await schema(context)
                return Response(status: .noContent)
            }
        }
        api.get(":prefix/namespaces/:ns/tables") { _, context in
            await Self.guarded {
                let schema = try await schema(context)
                let records = try await namespace.tables(catalog: schema.catalogName, schema: schema.name)
                return try Self.json(["identifiers": records.map { Identifier(namespace: [$0.name.schema], name: $0.name.table) }])
            }
        }
        api.get(":prefix/namespaces/:ns/tables/:table") { _, context in
            await Self.guarded { try await loadTable(context) }
        }
        api.head(":prefix/namespaces/:ns/tables/:table") { _, context in
            await Self.guarded {
                _ = try await namespace.table(try tableName(context))
                return Response(status: .noContent)
            }
        }
        for path in [":prefix/namespaces", ":prefix/namespaces/:ns/tables", ":prefix/namespaces/:ns/tables/:table", ":prefix/transactions/commit"] {
            api.post(RouterPath(path)) { _, _ in
                Self.error(
                    .notImplemented, "NotImplementedException",
                    "writes through the Iceberg REST catalog are not supported yet: write with Ingot's SQL, `ingot tables ingest` or Delta clients")
            }
        }
    }

    struct NamespaceBody: Encodable {
        let namespace: [String]
        let properties: [String: String]
    }

    struct Identifier: Encodable {
        let namespace: [String]
        let name: String
    }

    /// Namespaces are one level deep (a schema); multi-level names (joined with 0x1F) don't exist here.
    func schema(_ context: IngotRequestContext) async throws -> SchemaRecord {
        let ns = try context.parameters.require("ns")
        guard !ns.contains("\u{1F}") else { throw CatalogError.notFound("Namespace does not exist: \(ns.replacingOccurrences(of: "\u{1F}", with: "."))") }
        do {
            return try await namespace.schema(catalog: try context.parameters.require("prefix"), name: ns)
        } catch CatalogError.notFound(let message) {
            throw IcebergNotFound(type: "NoSuchNamespaceException", message: message)
        }
    }

    func tableName(_ context: IngotRequestContext) throws -> TableName {
        try TableName(catalog: try context.parameters.require("prefix"), schema: try context.parameters.require("ns"), table: try context.parameters.require("table"))
    }

    func loadTable(_ context: IngotRequestContext) async throws -> Response {
        _ = try await schema(context)
        let name = try tableName(context)
        let opened: (record: TableRecord, table: LakeTable)
        do {
            opened = try await tables.open(name)
        } catch CatalogError.notFound(let message) {
            throw IcebergNotFound(type: "NoSuchTableException", message: message)
        }
        guard let version = try await opened.table.iceberg.latestMetadataVersion() else {
            throw IcebergNotFound(type: "NoSuchTableException", message: "Table \(name) has no Iceberg metadata yet")
        }
        let key = "\(opened.table.key)/metadata/v\(version).metadata.json"
        let metadata = try await tables.objects.get(key)
        let location = opened.table.location + "/metadata/v\(version).metadata.json"
        // The metadata document is passed through as written (it is the file readers also open).
        var body = Array(#"{"metadata-location":"#.utf8)
        body += Array(CatalogJSON.jsonString(location).utf8)
        body += Array(#","config":{},"metadata":"#.utf8)
        body += metadata
        body += Array("}".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    struct IcebergNotFound: Error {
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
        } catch let e as IcebergNotFound {
            return Self.error(.notFound, e.type, e.message)
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
