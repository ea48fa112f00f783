import HTTPTypes

extension RouteGuards {
    /// Unity Catalog functions, registered models and their versions, securable updates and temporary
    /// credentials. Functions and models are read with EXECUTE and changed with MANAGE (owners hold
    /// every privilege); creating one needs CREATE FUNCTION / CREATE MODEL on the schema. Requests whose
    /// securable sits inside the body (`function_info`) or behind an id (`table_id`) are checked by the handler.
    static func unityCatalogObjects(_ method: HTTPRequest.Method, _ rest: String) -> RouteGuard? {
        switch (method, rest) {
        case (.get, "functions"): return .catalogListing("EXECUTE", array: "functions", nameField: "full_name")
        case (.post, "functions"): return .signedIn  // CREATE FUNCTION on function_info's schema, checked by the handler
        case (.get, "functions/{name}"): return .catalog("EXECUTE", .param("name"))
        case (_, "functions/{name}"): return .catalog("MANAGE", .param("name"))
        case (.get, "models"): return .catalogListing("EXECUTE", array: "registered_models", nameField: "full_name")
        case (.post, "models"): return .catalog("CREATE MODEL", .joinedFields(["catalog_name", "schema_name"]))
        case (.post, "models/versions"): return .catalog("MANAGE", .joinedFields(["catalog_name", "schema_name", "model_name"]))
        case (.get, "models/{full_name}"), (.get, "models/{full_name}/versions"), (.get, "models/{full_name}/versions/{version}"):
            return .catalog("EXECUTE", .param("full_name"))
        case (_, "models/{full_name}"), (_, "models/{full_name}/versions/{version}"), (_, "models/{full_name}/versions/{version}/finalize"):
            return .catalog("MANAGE", .param("full_name"))
        case (.post, "temporary-table-credentials"): return .signedIn  // SELECT (READ) or SELECT + MODIFY on the table the id names, checked by the handler
        default: return nil
        }
    }
}
