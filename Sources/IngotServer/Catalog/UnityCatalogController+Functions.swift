import Foundation
import Hummingbird
import IngotCatalog
import IngotCore

/// Unity Catalog functions (`FunctionInfo`): created with `{function_info: CreateFunction}`, listed per
/// schema, read and deleted by full name. The definition is kept as sent; functions are not executed.
extension UnityCatalogController {
    /// Fields of `function_info` that are the function's identity or metadata, not its definition.
    static let functionIdentityFields: Set<String> = [
        "name", "catalog_name", "schema_name", "full_name", "comment", "owner", "created_at", "created_by", "updated_at", "updated_by", "function_id",
    ]

    func addFunctionRoutes(_ uc: RouterGroup<IngotRequestContext>) {
        uc.get("functions") { request, _ in
            let query = request.uri.queryParameters
            guard let catalog = query.get("catalog_name"), let schema = query.get("schema_name") else {
                throw CatalogError.invalidParameter("catalog_name and schema_name are required")
            }
            let records = try await namespace.functions(catalog: catalog, schema: schema)
            return try Self.json(["functions": records.map(Self.functionInfo)])
        }
        uc.post("functions") { request, context in try await createFunction(request, context) }
        uc.get("functions/:name") { _, context in
            try Self.json(Self.functionInfo(try await namespace.function(try context.parameters.require("name"))))
        }
        uc.delete("functions/:name") { _, context in
            let record = try await namespace.function(try context.parameters.require("name"))
            try await namespace.deleteFunction(record.fullName)
            try await authorizer.store.deleteObject(objectType: "uc:function", objectID: record.fullName)
            return try JSONResponse.make([String: String]())
        }
    }

    func createFunction(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxBodyBytes)
        guard let json = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any],
            let info = json["function_info"] as? [String: Any]
        else { throw APIErrorResponse(.malformedRequest, "expected {\"function_info\": {...}}") }
        guard let name = info["name"] as? String, let catalog = info["catalog_name"] as? String, let schema = info["schema_name"] as? String else {
            throw CatalogError.invalidParameter("function_info needs name, catalog_name and schema_name")
        }
        for field in ["data_type", "routine_body"] where info[field] == nil {
            throw CatalogError.invalidParameter("function_info needs \(field)")
        }
        // Creating a function needs CREATE FUNCTION on its schema (with USE CATALOG / USE SCHEMA).
        let schemaName = "\(catalog.lowercased()).\(schema.lowercased())"
        if try await !authorizer.check(context.principal, AccessRequest(objectType: "uc:table", objectID: schemaName, privilege: "CREATE FUNCTION")) {
            throw APIErrorResponse(.permissionDenied, "creating a function requires CREATE FUNCTION on \(schemaName)")
        }
        let definition = info.filter { !Self.functionIdentityFields.contains($0.key) }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: definition, options: [.sortedKeys]), as: UTF8.self)
        let record = try await namespace.createFunction(
            catalog: catalog, schema: schema, name: name, definition: text, comment: info["comment"] as? String, owner: context.principal.name)
        try await grantOwner(.function, record.fullName, to: context.principal)
        return try Self.json(Self.functionInfo(record))
    }

    static func functionInfo(_ f: FunctionRecord) -> [String: Any] {
        var info = (try? JSONSerialization.jsonObject(with: Data(f.definition.utf8)) as? [String: Any]) ?? [:]
        info["name"] = f.name
        info["catalog_name"] = f.catalogName
        info["schema_name"] = f.schemaName
        info["full_name"] = f.fullName
        info["function_id"] = f.functionID
        info["owner"] = f.owner
        info["created_at"] = f.createdAt
        info["updated_at"] = f.updatedAt
        if let c = CatalogJSON.text(f.comment) { info["comment"] = c }
        if let by = f.createdBy { info["created_by"] = by }
        if let by = f.updatedBy { info["updated_by"] = by }
        return info
    }

    static func json(_ object: Any) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
