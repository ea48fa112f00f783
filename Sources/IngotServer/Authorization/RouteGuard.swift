import HTTPTypes
import IngotIdentity

/// Where a guard finds the id of the object a request acts on.
enum ObjectRef: Sendable, Equatable {
    /// A path parameter (`{name}`).
    case param(String)
    /// The first of these fields found in the query string or the top level of the JSON body.
    case field([String])
    /// Every value of a list field (`experiment_ids`); all must pass.
    case fieldList(String)
    /// An MLflow run (`run_id`/`run_uuid` in query or body): its experiment.
    case run
    /// Every `experiment_id`/`experiment_ids` value anywhere in the query or JSON body (MLflow 3 nests
    /// them in trace locations); all must pass.
    case experimentsInRequest
    /// A logged model (`{model_id}`): its experiment.
    case loggedModel
    /// Traces (`{trace_id}`, or `trace_ids`/`request_ids` in the body): their experiments.
    case traces
    /// `experiment_name`: the experiment of that name.
    case experimentName
    /// A registry transition request (`id`): its registered model.
    case registryRequest
    /// A job run (`run_id`): its job.
    case jobRun
    /// The first segment of the `**` artifact path (`<experiment_id>/<run_id>/artifacts/...`).
    case artifactPath
    /// A securable's full name made of these path parameters joined with dots (`{prefix}.{ns}.{table}`).
    case joinedParams([String])
    /// A securable's full name made of these fields joined with dots (`catalog_name`, `schema_name`).
    case joinedFields([String])
    /// The volume (`catalog.schema.volume`) a Files API path `/Volumes/<c>/<s>/<v>/...` names.
    case volumePath
}

/// What a route requires of a non-admin caller (admins pass every guard). Every registered route
/// has exactly one; ``RouteGuards/guard(method:path:)`` is the single table, and the route-coverage
/// test fails for a route it does not classify.
enum RouteGuard: Sendable, Equatable {
    /// No credentials needed (see ``RouteGuards/publicPaths`` for why each is public).
    case open
    /// Any signed-in principal; the handler limits itself to the caller's own data (tokens, /me, statements by id).
    case signedIn
    /// Only administrators.
    case admin
    /// A level on one object.
    case object(ACLObjectType, String, ObjectRef)
    /// Any signed-in principal may create; the creator becomes the owner. The new id is read from the
    /// request field, else from the response field.
    case create(ACLObjectType, requestField: String?, responseField: String?)
    /// A list: answered for any signed-in principal, then filtered to the objects it holds `level` on.
    case listing(ACLObjectType, level: String, array: String, idField: String)
    /// A Unity Catalog privilege on a securable.
    case catalog(String, ObjectRef)
    /// A Unity Catalog list filtered to securables with the privilege.
    case catalogListing(String, array: String, nameField: String)
    /// An Iceberg REST list: `parentPrivilege` on the parent (catalog or namespace), then the list
    /// (`namespaces` or table `identifiers`) filtered to items holding `itemPrivilege`.
    case icebergListing(String, ObjectRef, itemPrivilege: String, array: String)
    /// A SQL statement by id: only the principal that submitted it (others get 404).
    case ownStatement
    /// The permissions APIs check for themselves (CAN_MANAGE / MANAGE to change).
    case permissionsAPI
}

enum RouteGuards {
    /// Reachable without credentials, and why:
    /// - `/health`, `/version`: liveness and MLflow's version probe, say nothing about data;
    /// - `/metrics`: Prometheus scraping (aggregate counters only);
    /// - `/`, `/ui`, `/ui/**`: the static web pages, which call the guarded APIs;
    /// - login/logout: signing in needs no session.
    static let publicPaths: Set<String> = [
        "/health", "/version", "/metrics", "/", "/ui", "/ui/**", "/api/2.0/ingot/login", "/api/2.0/ingot/logout",
    ]

    static func `guard`(method: HTTPRequest.Method, path rawPath: String) -> RouteGuard? {
        if publicPaths.contains(rawPath) || rawPath.hasPrefix("/ui/") { return .open }
        var path = rawPath
        if path.hasPrefix("/ajax-api/") { path = "/api/" + path.dropFirst("/ajax-api/".count) }
        let read = method == .get || method == .head
        for prefix in ["/api/2.0/mlflow/", "/api/3.0/mlflow/"] where path.hasPrefix(prefix) {
            return mlflow(method, String(path.dropFirst(prefix.count)), read: read)
        }
        if path.hasPrefix("/api/2.0/mlflow-artifacts/") {
            let rest = path.dropFirst("/api/2.0/mlflow-artifacts/".count)
            if rest.hasPrefix("artifacts/") || rest.hasPrefix("mpu/") {
                return .object(.experiments, read ? "CAN_READ" : "CAN_EDIT", .artifactPath)
            }
            if rest == "artifacts" { return .object(.experiments, "CAN_READ", .artifactPath) }
            return nil
        }
        if path == "/get-artifact" || path.hasSuffix("/get-artifact") { return .object(.experiments, "CAN_READ", .run) }
        if path.hasPrefix("/api/2.0/permissions/") || path.hasPrefix("/api/2.1/unity-catalog/permissions/")
            || path.hasPrefix("/api/2.1/unity-catalog/effective-permissions/")
        {
            return .permissionsAPI
        }
        if path.hasPrefix("/api/2.0/serving-endpoints") || path.hasPrefix("/serving-endpoints/") || path.hasPrefix("/api/2.0/ingot/serving-endpoints/")
            || path.hasPrefix("/v2/")
        {
            return serving(method, path, read: read)
        }
        if path.hasPrefix("/api/2.0/pipelines") || path.hasPrefix("/api/2.0/ingot/pipelines/") {
            return pipelines(method, path, read: read)
        }
        for prefix in ["/api/2.0/jobs/", "/api/2.1/jobs/", "/api/2.2/jobs/"] where path.hasPrefix(prefix) {
            return jobs(String(path.dropFirst(prefix.count)))
        }
        if path.hasPrefix("/api/2.0/ingot/jobs/{job_id}/") { return .object(.jobs, "CAN_VIEW", .param("job_id")) }
        for prefix in ["/iceberg/v1/", "/api/2.1/unity-catalog/iceberg/v1/"] where path.hasPrefix(prefix) {
            return iceberg(method, String(path.dropFirst(prefix.count)))
        }
        if path.hasPrefix("/api/2.1/unity-catalog/") { return unityCatalog(method, String(path.dropFirst("/api/2.1/unity-catalog/".count))) }
        // Tags: the handler checks the securable's read privilege (GET) or MODIFY/MANAGE (PATCH).
        if path == "/api/2.0/ingot/tags/{securable_type}/{full_name}" { return .signedIn }
        if path.hasPrefix("/api/2.0/ingot/tables/{full_name}/") {
            return .catalog(read ? "SELECT" : "MODIFY", .param("full_name"))
        }
        if path.hasPrefix("/api/2.0/ingot/quality/tables/{full_name}") { return .catalog("SELECT", .param("full_name")) }
        // Search answers any signed-in caller and drops every result the caller could not read.
        if path == "/api/2.0/ingot/search" { return .signedIn }
        if path.hasPrefix("/api/2.0/fs/files/") || path.hasPrefix("/api/2.0/fs/directories/") {
            return .catalog(read ? "READ VOLUME" : "WRITE VOLUME", .volumePath)
        }
        if path == "/api/2.0/lineage-tracking/table-lineage" { return .catalog("SELECT", .field(["table_name"])) }
        if path == "/api/2.0/lineage-tracking/column-lineage" { return .catalog("SELECT", .field(["table_name"])) }
        // The lineage graph: any signed-in caller; the handler redacts every node it may not see.
        if path == "/api/2.0/ingot/lineage" { return .signedIn }
        // OpenLineage producers report their own jobs' runs; an event only adds links.
        if path == "/api/v1/lineage" { return .signedIn }
        if path.hasPrefix("/api/2.0/sql/statements/{id}") { return .ownStatement }
        if path == "/api/2.0/sql/statements" || path == "/api/2.0/ingot/sql/history" {
            // Every table a statement touches is checked by the SQL engine's resolver; history lists the caller's own.
            return .signedIn
        }
        if path.hasPrefix("/api/2.0/token/") || path == "/api/2.0/preview/scim/v2/Me" || path == "/api/2.0/ingot/me" { return .signedIn }
        if path.hasPrefix("/api/2.0/preview/scim/v2/") || path == "/api/2.0/ingot/audit" { return .admin }
        if path == "/api/2.0/ingot/backup" { return .admin }  // reads every table, run and model
        if path.hasPrefix("/api/2.0/ingot/registry/") {
            // Policies (set/delete also need an administrator, checked by the controller), activities, comments, lineage.
            return .object(.registeredModels, read ? "CAN_READ" : "CAN_MANAGE", .field(["name"]))
        }
        // The OTLP endpoint only answers so exporters stop retrying; it stores nothing.
        if path == "/v1/traces" { return .signedIn }
        return nil
    }

    static func mlflow(_ method: HTTPRequest.Method, _ rest: String, read: Bool) -> RouteGuard? {
        switch rest {
        case "experiments/create": return .create(.experiments, requestField: nil, responseField: "experiment_id")
        case "experiments/search", "experiments/list":
            return .listing(.experiments, level: "CAN_READ", array: "experiments", idField: "experiment_id")
        case "experiments/get-by-name": return .object(.experiments, "CAN_READ", .experimentName)
        case "experiments/delete", "experiments/restore", "experiments/update":
            return .object(.experiments, "CAN_MANAGE", .field(["experiment_id"]))
        case "runs/search": return .object(.experiments, "CAN_READ", .fieldList("experiment_ids"))
        case "runs/create": return .object(.experiments, "CAN_EDIT", .field(["experiment_id"]))
        case "server-info": return .signedIn  // the server's version and features, no data
        case "registered-models/create": return .create(.registeredModels, requestField: "name", responseField: nil)
        case "registered-models/search", "registered-models/list":
            return .listing(.registeredModels, level: "CAN_READ", array: "registered_models", idField: "name")
        case "model-versions/search":
            return .listing(.registeredModels, level: "CAN_READ", array: "model_versions", idField: "name")
        case "registered-models/delete", "registered-models/rename":
            return .object(.registeredModels, "CAN_MANAGE", .field(["name"]))
        case "transition-requests/approve", "transition-requests/reject":
            return .object(.registeredModels, "CAN_MANAGE_PRODUCTION_VERSIONS", .registryRequest)
        case "transition-requests/delete": return .object(.registeredModels, "CAN_EDIT", .registryRequest)
        case "model-versions/transition-stage":
            return .object(.registeredModels, "CAN_MANAGE_STAGING_VERSIONS", .field(["name"]))
        default: break
        }
        if rest.hasPrefix("registry-webhooks/") { return .admin }  // webhooks see every model's events
        if rest.hasPrefix("registered-models/") || rest.hasPrefix("model-versions/") || rest.hasPrefix("transition-requests/")
            || rest.hasPrefix("comments/")
        {
            return .object(.registeredModels, read ? "CAN_READ" : "CAN_EDIT", .field(["name"]))
        }
        if rest.hasPrefix("experiments/") { return .object(.experiments, read ? "CAN_READ" : "CAN_EDIT", .field(["experiment_id"])) }
        if rest.hasPrefix("runs/") || rest.hasPrefix("metrics/") || rest.hasPrefix("artifacts/") {
            let getter = read || rest.hasSuffix("/get") || rest.hasPrefix("metrics/get")
            return .object(.experiments, getter ? "CAN_READ" : "CAN_EDIT", .run)
        }
        if rest.hasPrefix("logged-models") || rest.hasPrefix("traces") {
            // Reads need CAN_READ on the experiment, writes CAN_EDIT; the experiment comes from the logged
            // model or trace the path names, else from the request.
            let level = read || rest.hasSuffix("search") || rest.hasSuffix("batchGetInfos") ? "CAN_READ" : "CAN_EDIT"
            if rest.hasPrefix("logged-models/{model_id}") { return .object(.experiments, level, .loggedModel) }
            if rest.hasPrefix("traces/{trace_id}") || rest == "traces/batchGetInfos" { return .object(.experiments, level, .traces) }
            if rest == "traces/link-to-run" { return .object(.experiments, "CAN_EDIT", .run) }
            return .object(.experiments, level, .experimentsInRequest)
        }
        return nil
    }

    static func serving(_ method: HTTPRequest.Method, _ path: String, read: Bool) -> RouteGuard? {
        switch path {
        case "/api/2.0/serving-endpoints":
            return read
                ? .listing(.servingEndpoints, level: "CAN_VIEW", array: "endpoints", idField: "name")
                : .create(.servingEndpoints, requestField: "name", responseField: nil)
        case "/v2/health/live", "/v2/health/ready": return .signedIn
        default: break
        }
        if path.hasSuffix("/invocations") || path.hasSuffix("/infer") { return .object(.servingEndpoints, "CAN_QUERY", .param("name")) }
        if path.contains("{name}") { return .object(.servingEndpoints, read ? "CAN_VIEW" : "CAN_MANAGE", .param("name")) }
        return nil
    }

    static func pipelines(_ method: HTTPRequest.Method, _ path: String, read: Bool) -> RouteGuard? {
        if path == "/api/2.0/pipelines" {
            return read
                ? .listing(.pipelines, level: "CAN_VIEW", array: "statuses", idField: "pipeline_id")
                : .create(.pipelines, requestField: nil, responseField: "pipeline_id")
        }
        guard path.contains("{id}") else { return nil }
        if read { return .object(.pipelines, "CAN_VIEW", .param("id")) }
        if path.hasSuffix("/updates") || path.hasSuffix("/stop") { return .object(.pipelines, "CAN_RUN", .param("id")) }
        return .object(.pipelines, method == .delete ? "IS_OWNER" : "CAN_MANAGE", .param("id"))
    }

    static func jobs(_ rest: String) -> RouteGuard? {
        switch rest {
        case "create": return .create(.jobs, requestField: nil, responseField: "job_id")
        case "list": return .listing(.jobs, level: "CAN_VIEW", array: "jobs", idField: "job_id")
        case "get": return .object(.jobs, "CAN_VIEW", .field(["job_id"]))
        case "update", "reset": return .object(.jobs, "CAN_MANAGE", .field(["job_id"]))
        case "delete": return .object(.jobs, "IS_OWNER", .field(["job_id"]))
        case "run-now", "runs/cancel-all": return .object(.jobs, "CAN_MANAGE_RUN", .field(["job_id"]))
        case "runs/submit": return .admin  // one-time runs belong to no job, so no ACL could grant them
        case "runs/list": return .listing(.jobs, level: "CAN_VIEW", array: "runs", idField: "job_id")
        case "runs/get", "runs/get-output": return .object(.jobs, "CAN_VIEW", .jobRun)
        case "runs/cancel", "runs/repair", "runs/delete": return .object(.jobs, "CAN_MANAGE_RUN", .jobRun)
        default: return nil
        }
    }

    static func unityCatalog(_ method: HTTPRequest.Method, _ rest: String) -> RouteGuard? {
        if let metadataGuard = unityCatalogObjects(method, rest) { return metadataGuard }
        switch (method, rest) {
        case (.get, "catalogs"): return .catalogListing("USE CATALOG", array: "catalogs", nameField: "name")
        case (.post, "catalogs"): return .admin
        case (.get, "catalogs/{name}"): return .catalog("USE CATALOG", .param("name"))
        case (_, "catalogs/{name}"): return .catalog("MANAGE", .param("name"))
        case (.get, "schemas"): return .catalogListing("USE SCHEMA", array: "schemas", nameField: "full_name")
        case (.post, "schemas"): return .catalog("CREATE SCHEMA", .field(["catalog_name"]))
        case (.get, "schemas/{full_name}"): return .catalog("USE SCHEMA", .param("full_name"))
        case (_, "schemas/{full_name}"): return .catalog("MANAGE", .param("full_name"))
        case (.get, "tables"): return .catalogListing("SELECT", array: "tables", nameField: "full_name")
        case (.post, "tables"): return .catalog("CREATE TABLE", .joinedFields(["catalog_name", "schema_name"]))
        case (.get, "tables/{full_name}"): return .catalog("SELECT", .param("full_name"))
        // Data quality monitors: reading one (and its refreshes) needs SELECT; creating, changing,
        // deleting or refreshing one needs MANAGE on the table, as in Databricks.
        case (.get, "tables/{full_name}/monitor"), (.get, "tables/{full_name}/monitor/refreshes"),
            (.get, "tables/{full_name}/monitor/refreshes/{refresh_id}"):
            return .catalog("SELECT", .param("full_name"))
        case (_, "tables/{full_name}/monitor"), (_, "tables/{full_name}/monitor/refreshes"): return .catalog("MANAGE", .param("full_name"))
        case (_, "tables/{full_name}"): return .catalog("MANAGE", .param("full_name"))
        case (.get, "volumes"): return .catalogListing("READ VOLUME", array: "volumes", nameField: "full_name")
        case (.post, "volumes"): return .catalog("CREATE VOLUME", .joinedFields(["catalog_name", "schema_name"]))
        case (.get, "volumes/{name}"): return .catalog("READ VOLUME", .param("name"))
        case (_, "volumes/{name}"): return .catalog("MANAGE", .param("name"))
        // External locations are the allow-list for local directories: administrators only.
        case (_, "external-locations"), (_, "external-locations/{name}"): return .admin
        default: return nil
        }
    }

    /// The Iceberg REST catalog: `{prefix}` is the catalog, `{ns}` the schema.
    static func iceberg(_ method: HTTPRequest.Method, _ rest: String) -> RouteGuard? {
        let read = method == .get || method == .head
        switch rest {
        case "config": return .signedIn  // the catalog's defaults and endpoints, no data
        case "{prefix}/namespaces":
            return read
                ? .icebergListing("USE CATALOG", .joinedParams(["prefix"]), itemPrivilege: "USE SCHEMA", array: "namespaces")
                : .catalog("CREATE SCHEMA", .joinedParams(["prefix"]))
        case "{prefix}/namespaces/{ns}": return read ? .catalog("USE SCHEMA", .joinedParams(["prefix", "ns"])) : .catalog("MANAGE", .joinedParams(["prefix", "ns"]))
        case "{prefix}/namespaces/{ns}/properties": return .catalog("MANAGE", .joinedParams(["prefix", "ns"]))
        case "{prefix}/namespaces/{ns}/tables":
            return read
                ? .icebergListing("USE SCHEMA", .joinedParams(["prefix", "ns"]), itemPrivilege: "SELECT", array: "identifiers")
                : .catalog("CREATE TABLE", .joinedParams(["prefix", "ns"]))
        case "{prefix}/namespaces/{ns}/register": return .catalog("CREATE TABLE", .joinedParams(["prefix", "ns"]))
        case "{prefix}/namespaces/{ns}/tables/{table}":
            let name = ObjectRef.joinedParams(["prefix", "ns", "table"])
            return read ? .catalog("SELECT", name) : method == .delete ? .catalog("MANAGE", name) : .catalog("MODIFY", name)
        case "{prefix}/tables/rename", "{prefix}/transactions/commit": return .admin  // several tables in one request
        default: return nil
        }
    }
}
