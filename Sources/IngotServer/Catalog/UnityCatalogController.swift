import Foundation
import Hummingbird
import IngotCatalog
import IngotCore
import IngotIdentity
import IngotLake
import IngotRegistry
import IngotStorage

/// The namespace under `/api/2.1/unity-catalog/` in Unity Catalog OSS's shape: catalogs, schemas,
/// tables (list, get, create, update, delete), functions, registered models and versions (kept by the
/// registry under `catalog.schema.model`), temporary table credentials, and Ingot's tag API. Creating a
/// MANAGED table creates its Delta/Iceberg storage; an EXTERNAL table adopts a Delta table already under
/// the data directory. Whoever creates a securable owns it (an `OWNER` grant row); admins and owners
/// may hand it to another principal (`PATCH … {"owner": …}`).
struct UnityCatalogController {
    let tables: TableService
    let registry: RegistryService
    let authorizer: ACLAuthorizer

    var namespace: NamespaceStore { tables.namespace }

    func addRoutes(to router: Router<IngotRequestContext>) {
        let uc = router.group("/api/2.1/unity-catalog")
        uc.get("catalogs") { _, _ in try JSONResponse.make(["catalogs": try await namespace.catalogs().map(CatalogJSON.CatalogInfo.init)]) }
        uc.post("catalogs") { request, context in try await createCatalog(request, context) }
        uc.get("catalogs/:name") { _, context in
            let record = try await namespace.catalog(try context.parameters.require("name"))
            var info = CatalogJSON.CatalogInfo(record)
            info.tags = try await namespace.tags(.catalog, record.name)
            return try JSONResponse.make(info)
        }
        uc.patch("catalogs/:name") { request, context in try await updateCatalog(request, context) }
        uc.delete("catalogs/:name") { request, context in
            let name = try NameRules.identifier(try context.parameters.require("name"), what: "catalog")
            try await tables.deleteCatalog(name, force: Self.flag(request, "force"))
            try await CatalogOwnerGrants(store: authorizer.store).forgetWithContents(.catalog, name)
            return try JSONResponse.make([String: String]())
        }

        uc.get("schemas") { request, _ in
            guard let catalog = request.uri.queryParameters.get("catalog_name") else { throw CatalogError.invalidParameter("catalog_name is required") }
            return try JSONResponse.make(["schemas": try await namespace.schemas(catalog: catalog).map(CatalogJSON.SchemaInfo.init)])
        }
        uc.post("schemas") { request, context in try await createSchema(request, context) }
        uc.get("schemas/:full_name") { _, context in
            let (catalog, schema) = try Self.schemaName(try context.parameters.require("full_name"))
            let record = try await namespace.schema(catalog: catalog, name: schema)
            var info = CatalogJSON.SchemaInfo(record)
            info.tags = try await namespace.tags(.schema, record.fullName)
            return try JSONResponse.make(info)
        }
        uc.patch("schemas/:full_name") { request, context in try await updateSchema(request, context) }
        uc.delete("schemas/:full_name") { request, context in
            let (catalog, schema) = try Self.schemaName(try context.parameters.require("full_name"))
            try await tables.deleteSchema(catalog: catalog, name: schema, force: Self.flag(request, "force"))
            let fullName = "\(try NameRules.identifier(catalog, what: "catalog")).\(try NameRules.identifier(schema, what: "schema"))"
            try await CatalogOwnerGrants(store: authorizer.store).forgetWithContents(.schema, fullName)
            return try JSONResponse.make([String: String]())
        }

        uc.get("tables") { request, _ in try await listTables(request) }
        uc.post("tables") { request, context in try await createTable(request, context) }
        uc.get("tables/:full_name") { _, context in
            try await describe(try TableName(parsing: try context.parameters.require("full_name")))
        }
        uc.patch("tables/:full_name") { request, context in try await updateTable(request, context) }
        uc.delete("tables/:full_name") { _, context in
            let name = try TableName(parsing: try context.parameters.require("full_name"))
            if try await !namespace.views.delete(name) { try await tables.drop(name) }
            try await authorizer.store.deleteObject(objectType: "uc:table", objectID: name.description)
            return try JSONResponse.make([String: String]())
        }
        addFunctionRoutes(uc)
        addModelRoutes(uc)
        uc.post("temporary-table-credentials") { request, context in try await temporaryTableCredentials(request, context) }
        router.get("/api/2.0/ingot/tags/:securable_type/:full_name") { _, context in try await getTags(context) }
        router.patch("/api/2.0/ingot/tags/:securable_type/:full_name") { request, context in try await patchTags(request, context) }
    }

    static func flag(_ request: Request, _ name: String) -> Bool {
        request.uri.queryParameters.get(name).map { $0.lowercased() == "true" || $0 == "1" } ?? false
    }

    static func schemaName(_ fullName: String) throws -> (String, String) {
        let parts = fullName.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw CatalogError.invalidParameter("'\(fullName)' is not a schema name: expected catalog.schema") }
        return (String(parts[0]), String(parts[1]))
    }

    func createCatalog(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        struct Body: Decodable {
            let name: String
            let comment: String?
            let properties: [String: String]?
        }
        let body = try await request.decode(as: Body.self, context: context)
        let record = try await namespace.createCatalog(body.name, comment: body.comment, owner: context.principal.name, properties: body.properties ?? [:])
        try await grantOwner(.catalog, record.name, to: context.principal)
        return try JSONResponse.make(CatalogJSON.CatalogInfo(record))
    }

    func createSchema(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        struct Body: Decodable {
            let name: String
            let catalog_name: String
            let comment: String?
            let properties: [String: String]?
        }
        let body = try await request.decode(as: Body.self, context: context)
        let record = try await namespace.createSchema(
            catalog: body.catalog_name, name: body.name, comment: body.comment, owner: context.principal.name, properties: body.properties ?? [:])
        try await grantOwner(.schema, record.fullName, to: context.principal)
        return try JSONResponse.make(CatalogJSON.SchemaInfo(record))
    }

    func listTables(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        guard let catalog = query.get("catalog_name"), let schema = query.get("schema_name") else {
            throw CatalogError.invalidParameter("catalog_name and schema_name are required")
        }
        let records = try await namespace.tables(catalog: catalog, schema: schema)
        var infos = try records.map { CatalogJSON.table($0, location: try tables.lakeTable($0).location) }
        infos += try await namespace.views.views(catalog: catalog, schema: schema).map(CatalogJSON.view)
        infos.sort { $0.name < $1.name }
        return try JSONResponse.make(["tables": infos])
    }

    func describe(_ name: TableName) async throws -> Response {
        if let view = try await namespace.views.view(name) { return try JSONResponse.make(CatalogJSON.view(view)) }
        let detail = try await tables.detail(name)
        let location = try tables.lakeTable(detail.record).location
        var record = detail.record
        record.properties = detail.properties
        var info = CatalogJSON.table(record, location: location, schema: detail.schema, partitionColumns: detail.partitionColumns)
        let comments = try await namespace.columnComments(tableID: record.tableID)
        let columnTags = try await namespace.columnTags(name)
        info.columns = info.columns?.map { column in
            var column = column
            column.comment = comments[column.name.lowercased()]
            column.tags = columnTags[column.name.lowercased()]
            return column
        }
        info.tags = try await namespace.tags(.table, name.description)
        info.num_files = detail.numFiles
        info.size_in_bytes = detail.sizeInBytes
        info.num_rows = detail.numRecords
        return try JSONResponse.make(info)
    }

    struct CreateTableBody: Decodable {
        struct Column: Decodable {
            let name: String
            let type_text: String?
            let type_name: String?
            let type_precision: Int?
            let type_scale: Int?
            let nullable: Bool?
            let partition_index: Int?
            let comment: String?
        }
        let name: String
        let catalog_name: String
        let schema_name: String
        let table_type: String?
        let data_source_format: String?
        let columns: [Column]?
        let storage_location: String?
        let comment: String?
        let properties: [String: String]?
    }

    func createTable(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let body = try await request.decode(as: CreateTableBody.self, context: context)
        let name = try TableName(catalog: body.catalog_name, schema: body.schema_name, table: body.name)
        if let format = body.data_source_format, format.uppercased() != "DELTA" {
            throw CatalogError.invalidParameter("data_source_format \(format) is not supported: tables are DELTA (with Iceberg metadata)")
        }
        if (body.table_type ?? "MANAGED").uppercased() == "EXTERNAL" {
            guard let location = body.storage_location else { throw CatalogError.invalidParameter("an EXTERNAL table needs storage_location") }
            try await tables.register(name, key: try tables.objectKey(location: location), comment: body.comment, owner: context.principal.name)
            try await grantOwner(.table, name.description, to: context.principal)
            return try await describe(name)
        }
        guard let columns = body.columns, !columns.isEmpty else { throw CatalogError.invalidParameter("a MANAGED table needs columns") }
        var fields: [Field] = []
        var partitions: [(Int, String)] = []
        for column in columns {
            var type: LakeType?
            if let text = column.type_text { type = SparkTypes.parse(text) }
            if type == nil, let typeName = column.type_name {
                type = typeName.uppercased() == "DECIMAL"
                    ? .decimal(precision: column.type_precision ?? 10, scale: column.type_scale ?? 0) : SparkTypes.parse(typeName)
            }
            guard let type else {
                throw CatalogError.invalidParameter("column \(column.name): unknown type '\(column.type_text ?? column.type_name ?? "")'")
            }
            fields.append(Field(column.name, type, nullable: column.nullable ?? true))
            if let index = column.partition_index { partitions.append((index, column.name)) }
        }
        try await tables.create(
            name, schema: Schema(fields), partitionColumns: partitions.sorted { $0.0 < $1.0 }.map(\.1), properties: body.properties ?? [:],
            comment: body.comment, owner: context.principal.name)
        try await grantOwner(.table, name.description, to: context.principal)
        if let columns = body.columns {
            for column in columns where column.comment?.isEmpty == false {
                try await namespace.setColumnComment(name, column: column.name, comment: column.comment, actor: context.principal.name)
            }
        }
        return try await describe(name)
    }
}
