import Foundation
import Hummingbird
import IngotCatalog
import IngotCore
import IngotRegistry

/// Unity Catalog registered models and versions (`/models`, `/models/{full_name}/versions/{version}`),
/// backed by the model registry: a model named `catalog.schema.model` lives in that schema, so MLflow
/// clients (with `registry_uri` pointing here) and Unity Catalog clients see the same models. Owners
/// and creators are kept by the catalog (``NamespaceStore/recordSecurable(_:_:owner:)``).
extension UnityCatalogController {
    struct RegisteredModelInfo: Encodable {
        let name: String
        let catalog_name: String
        let schema_name: String
        let full_name: String
        let comment: String?
        let owner: String?
        let created_at: Int64
        let created_by: String?
        let updated_at: Int64
        let updated_by: String?
        let id: String
    }

    struct ModelVersionInfo: Encodable {
        let model_name: String
        let catalog_name: String
        let schema_name: String
        let version: Int64
        let source: String
        let run_id: String?
        let status: String
        let storage_location: String?
        let comment: String?
        let created_at: Int64
        let created_by: String?
        let updated_at: Int64
        let updated_by: String?
        let id: String
    }

    /// `catalog.schema.model`, validated (lower-cased like other securables).
    static func modelName(_ raw: String) throws -> (catalog: String, schema: String, model: String) {
        let parts = raw.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { throw CatalogError.invalidParameter("'\(raw)' is not a registered model name: expected catalog.schema.model") }
        return (try NameRules.identifier(parts[0], what: "catalog"), try NameRules.identifier(parts[1], what: "schema"), try NameRules.identifier(parts[2], what: "model"))
    }

    func addModelRoutes(_ uc: RouterGroup<IngotRequestContext>) {
        uc.get("models") { request, _ in try await listModels(request) }
        uc.post("models") { request, context in try await createModel(request, context) }
        uc.get("models/:full_name") { _, context in try JSONResponse.make(try await modelInfo(try context.parameters.require("full_name"))) }
        uc.patch("models/:full_name") { request, context in try await updateModel(request, context) }
        uc.delete("models/:full_name") { _, context in
            let (c, s, m) = try Self.modelName(try context.parameters.require("full_name"))
            let full = "\(c).\(s).\(m)"
            try await registry.deleteRegisteredModel(name: full)
            try await namespace.forgetSecurable(.registeredModel, full)
            try await authorizer.store.deleteObject(objectType: "uc:registered_model", objectID: full)
            return try JSONResponse.make([String: String]())
        }
        uc.post("models/versions") { request, context in try await createVersion(request, context) }
        uc.get("models/:full_name/versions") { _, context in
            let (c, s, m) = try Self.modelName(try context.parameters.require("full_name"))
            let full = "\(c).\(s).\(m)"
            _ = try await registry.getRegisteredModel(name: full)
            let versions = try await Self.allPages { token in
                try await registry.searchModelVersions(filter: "name = '\(full)'", orderBy: ["version_number DESC"], maxResults: 10_000, pageToken: token)
            }
            var infos: [ModelVersionInfo] = []
            for v in versions { infos.append(try await versionInfo(v)) }
            return try JSONResponse.make(CatalogJSON.Page(key: "model_versions", items: infos))
        }
        uc.get("models/:full_name/versions/:version") { _, context in
            let full = try Self.joinedModelName(context)
            return try JSONResponse.make(try await versionInfo(try await registry.getModelVersion(name: full, version: try context.parameters.require("version"))))
        }
        uc.patch("models/:full_name/versions/:version") { request, context in
            struct Body: Decodable { let comment: String? }
            let full = try Self.joinedModelName(context)
            let body = try await request.decode(as: Body.self, context: context)
            let version = try context.parameters.require("version")
            let updated = try await registry.updateModelVersion(name: full, version: version, description: body.comment)
            return try JSONResponse.make(try await versionInfo(updated))
        }
        uc.patch("models/:full_name/versions/:version/finalize") { _, context in
            // Versions are registered synchronously (READY on creation): finalizing returns the version.
            let full = try Self.joinedModelName(context)
            return try JSONResponse.make(try await versionInfo(try await registry.getModelVersion(name: full, version: try context.parameters.require("version"))))
        }
        uc.delete("models/:full_name/versions/:version") { _, context in
            let full = try Self.joinedModelName(context)
            try await registry.deleteModelVersion(name: full, version: try context.parameters.require("version"))
            return try JSONResponse.make([String: String]())
        }
    }

    static func joinedModelName(_ context: IngotRequestContext) throws -> String {
        let (c, s, m) = try modelName(try context.parameters.require("full_name"))
        return "\(c).\(s).\(m)"
    }

    func modelInfo(_ raw: String) async throws -> RegisteredModelInfo {
        let (c, s, m) = try Self.modelName(raw)
        let model = try await registry.getRegisteredModel(name: "\(c).\(s).\(m)")
        return try await modelInfo(model)
    }

    func modelInfo(_ model: RegisteredModel) async throws -> RegisteredModelInfo {
        let (c, s, m) = try Self.modelName(model.name)
        let ownership = try await namespace.securable(.registeredModel, model.name)
        return RegisteredModelInfo(
            name: m, catalog_name: c, schema_name: s, full_name: model.name, comment: CatalogJSON.text(model.description), owner: ownership?.owner,
            created_at: model.creation_timestamp, created_by: ownership?.createdBy, updated_at: model.last_updated_timestamp ?? model.creation_timestamp,
            updated_by: ownership?.updatedBy, id: model.name)
    }

    func versionInfo(_ v: ModelVersion) async throws -> ModelVersionInfo {
        let (c, s, m) = try Self.modelName(v.name)
        let status = ["READY", "PENDING_REGISTRATION", "FAILED_REGISTRATION"].contains(v.status) ? v.status : "MODEL_VERSION_STATUS_UNKNOWN"
        return ModelVersionInfo(
            model_name: m, catalog_name: c, schema_name: s, version: v.versionNumber, source: v.source, run_id: v.run_id, status: status,
            storage_location: try? await registry.downloadURI(name: v.name, version: v.version), comment: CatalogJSON.text(v.description),
            created_at: v.creation_timestamp, created_by: v.user_id, updated_at: v.last_updated_timestamp ?? v.creation_timestamp, updated_by: v.user_id,
            id: "\(v.name)/\(v.version)")
    }

    /// `GET /models?catalog_name&schema_name`: the registry's models with three-part names (in that schema).
    func listModels(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var prefix = ""
        if let catalog = query.get("catalog_name") {
            prefix = try NameRules.identifier(catalog, what: "catalog") + "."
            if let schema = query.get("schema_name") {
                _ = try await namespace.schema(catalog: catalog, name: schema)
                prefix += try NameRules.identifier(schema, what: "schema") + "."
            } else {
                _ = try await namespace.catalog(catalog)
            }
        }
        let models = try await Self.allPages { token in
            try await registry.searchRegisteredModels(
                filter: prefix.isEmpty ? nil : "name LIKE '\(prefix)%'", orderBy: ["name ASC"], maxResults: RegistryService.searchModelsLimit, pageToken: token)
        }
        var infos: [RegisteredModelInfo] = []
        for model in models where model.name.hasPrefix(prefix) && model.name.split(separator: ".", omittingEmptySubsequences: false).count == 3 {
            if let info = try? await modelInfo(model) { infos.append(info) }
        }
        return try JSONResponse.make(CatalogJSON.Page(key: "registered_models", items: infos))
    }

    /// Every item of a registry search, following its page tokens to the end.
    static func allPages<Item>(_ search: (_ pageToken: String?) async throws -> RegistryPage<Item>) async throws -> [Item] {
        var items: [Item] = []
        var token: String?
        repeat {
            let page = try await search(token)
            items += page.items
            token = page.nextPageToken
        } while token != nil
        return items
    }

    func createModel(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        struct Body: Decodable {
            let name: String
            let catalog_name: String
            let schema_name: String
            let comment: String?
        }
        let body = try await request.decode(as: Body.self, context: context)
        let schema = try await namespace.schema(catalog: body.catalog_name, name: body.schema_name)
        let full = "\(schema.fullName).\(try NameRules.identifier(body.name, what: "model"))"
        let model = try await registry.createRegisteredModel(name: full, tags: [], description: body.comment, actor: context.principal)
        try await namespace.recordSecurable(.registeredModel, full, owner: context.principal.name)
        try await grantOwner(.registeredModel, full, to: context.principal)
        return try JSONResponse.make(try await modelInfo(model))
    }

    /// `PATCH /models/{full_name} {comment, new_name, owner}`; `new_name` is a name in the same schema (or a full name).
    func updateModel(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let body = try await request.decode(as: UpdateBody.self, context: context)
        var full = try Self.joinedModelName(context)
        let before = try await registry.getRegisteredModel(name: full)
        let ownership = try await namespace.securable(.registeredModel, full)
        let owner = ownership?.owner ?? "admin"
        if body.owner != nil { try Self.requireMayChangeOwner(context.principal, currentOwner: owner, full) }
        if let comment = body.comment { _ = try await registry.updateRegisteredModel(name: full, description: comment) }
        var target = full
        if let newName = body.new_name {
            let (c, s, _) = try Self.modelName(full)
            let parts = newName.split(separator: ".").map(String.init)
            let candidate = parts.count == 1 ? "\(c).\(s).\(newName)" : newName
            let (nc, ns, nm) = try Self.modelName(candidate)
            _ = try await namespace.schema(catalog: nc, name: ns)
            target = "\(nc).\(ns).\(nm)"
            if target != full { _ = try await registry.renameRegisteredModel(name: full, newName: target) }
        }
        try await namespace.touchSecurable(.registeredModel, full, owner: body.owner, actor: context.principal.name, renamedTo: target)
        try await transferOwner(.registeredModel, from: (before.name, owner), to: (target, body.owner ?? owner))
        full = target
        return try JSONResponse.make(try await modelInfo(full))
    }

    func createVersion(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        struct Body: Decodable {
            let model_name: String
            let catalog_name: String
            let schema_name: String
            let source: String
            let run_id: String?
            let comment: String?
        }
        let body = try await request.decode(as: Body.self, context: context)
        let (c, s, m) = try Self.modelName("\(body.catalog_name).\(body.schema_name).\(body.model_name)")
        let version = try await registry.createModelVersion(
            name: "\(c).\(s).\(m)", source: body.source, runID: body.run_id, modelID: nil, runLink: nil, description: body.comment, tags: [],
            actor: context.principal)
        return try JSONResponse.make(try await versionInfo(version))
    }
}
