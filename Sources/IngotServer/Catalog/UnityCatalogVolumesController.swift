import Foundation
import HTTPTypes
import Hummingbird
import IngotCatalog
import IngotCore
import IngotIdentity

/// Volumes and external locations under `/api/2.1/unity-catalog/` in Unity Catalog OSS's shape
/// (`VolumeInfo`, `ExternalLocationInfo`, list responses with `next_page_token`), with UC's error body
/// `{"error_code": "NOT_FOUND", "message": ..., "details": [...]}`. The creator of a volume owns it (an
/// `OWNER` grant row, as for tables), which follows renames and owner changes and goes with the volume.
struct UnityCatalogVolumesController {
    let volumes: VolumeService
    let owners: CatalogOwnerGrants

    struct VolumeInfo: Encodable {
        let catalog_name: String
        let schema_name: String
        let name: String
        let full_name: String
        let volume_id: String
        let volume_type: String
        let storage_location: String
        let owner: String
        let comment: String?
        let created_at: Int64
        let created_by: String
        let updated_at: Int64
        let updated_by: String

        init(_ v: VolumeRecord) {
            catalog_name = v.catalogName
            schema_name = v.schemaName
            name = v.name
            full_name = v.fullName
            volume_id = v.volumeID
            volume_type = v.volumeType.rawValue
            storage_location = v.storageLocation
            owner = v.owner
            comment = v.comment
            created_at = v.createdAt
            created_by = v.createdBy
            updated_at = v.updatedAt
            updated_by = v.updatedBy
        }
    }

    struct ExternalLocationInfo: Encodable {
        let name: String
        let url: String
        let comment: String?
        let owner: String
        let read_only: Bool
        let created_at: Int64
        let created_by: String
        let updated_at: Int64
        let updated_by: String

        init(_ l: ExternalLocationRecord) {
            name = l.name
            url = l.url
            comment = l.comment
            owner = l.owner
            read_only = l.readOnly
            created_at = l.createdAt
            created_by = l.createdBy
            updated_at = l.updatedAt
            updated_by = l.updatedBy
        }
    }

    func addRoutes(to router: Router<IngotRequestContext>) {
        let uc = router.group("/api/2.1/unity-catalog")
        uc.get("volumes") { request, _ in try await Self.uc { try await list(request) } }
        uc.post("volumes") { request, context in try await Self.uc { try await create(request, context) } }
        uc.get("volumes/:name") { _, context in
            try await Self.uc { try JSONResponse.make(VolumeInfo(try await volumes.store.volume(try context.parameters.require("name")))) }
        }
        uc.patch("volumes/:name") { request, context in try await Self.uc { try await update(request, context) } }
        uc.delete("volumes/:name") { _, context in
            try await Self.uc {
                let record = try await volumes.delete(try context.parameters.require("name"))
                try await owners.forget(.volume, record.fullName)
                return try JSONResponse.make([String: String]())
            }
        }

        uc.get("external-locations") { _, _ in
            try await Self.uc {
                try JSONResponse.make(CatalogJSON.Page(key: "external_locations", items: try await volumes.store.externalLocations().map(ExternalLocationInfo.init)))
            }
        }
        uc.post("external-locations") { request, context in
            try await Self.uc {
                struct Body: Decodable {
                    let name: String
                    let url: String
                    let comment: String?
                    let read_only: Bool?
                }
                let body = try await request.decode(as: Body.self, context: context)
                let record = try await volumes.createExternalLocation(
                    name: body.name, url: body.url, comment: body.comment, readOnly: body.read_only ?? false, owner: context.principal.name)
                return try JSONResponse.make(ExternalLocationInfo(record))
            }
        }
        uc.get("external-locations/:name") { _, context in
            try await Self.uc { try JSONResponse.make(ExternalLocationInfo(try await volumes.store.externalLocation(try context.parameters.require("name")))) }
        }
        uc.delete("external-locations/:name") { _, context in
            try await Self.uc {
                try await volumes.store.deleteExternalLocation(try context.parameters.require("name"))
                return try JSONResponse.make([String: String]())
            }
        }
    }

    func list(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        guard let catalog = query.get("catalog_name"), let schema = query.get("schema_name") else {
            throw CatalogError.invalidParameter("catalog_name and schema_name are required")
        }
        let paging = try CatalogJSON.pageRequest(request)
        let page = try await volumes.store.volumes(catalog: catalog, schema: schema, maxResults: paging.maxResults, pageToken: paging.pageToken)
        return try JSONResponse.make(CatalogJSON.Page(key: "volumes", items: page.volumes.map(VolumeInfo.init), nextPageToken: page.nextPageToken))
    }

    func create(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        struct Body: Decodable {
            let catalog_name: String
            let schema_name: String
            let name: String
            let volume_type: String?
            let storage_location: String?
            let comment: String?
        }
        let body = try await request.decode(as: Body.self, context: context)
        guard let type = VolumeRecord.VolumeType(rawValue: (body.volume_type ?? "MANAGED").uppercased()) else {
            throw CatalogError.invalidParameter("volume_type must be MANAGED or EXTERNAL")
        }
        let record = try await volumes.create(
            catalog: body.catalog_name, schema: body.schema_name, name: body.name, type: type, storageLocation: body.storage_location,
            comment: body.comment, owner: context.principal.name)
        try await owners.grant(.volume, record.fullName, to: context.principal)
        return try JSONResponse.make(VolumeInfo(record))
    }

    func update(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        struct Body: Decodable {
            let new_name: String?
            let comment: String?
            let owner: String?
        }
        let body = try await request.decode(as: Body.self, context: context)
        let before = try await volumes.store.volume(try context.parameters.require("name"))
        let principal = context.principal
        if body.owner != nil, !(principal.isAdmin || principal.name == before.owner || principal.groups.contains(before.owner)) {
            throw IngotFailure(.permissionDenied, "only the owner of \(before.fullName) or an administrator may change its owner")
        }
        let owner = try body.owner.map { raw in
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, trimmed.count <= 255 else { throw CatalogError.invalidParameter("owner must be a principal name") }
            return trimmed
        }
        let record = try await volumes.update(
            before.fullName, newName: body.new_name.flatMap { $0.isEmpty ? nil : $0 }, comment: body.comment, owner: owner, by: principal.name)
        try await owners.transfer(.volume, from: (before.fullName, before.owner), to: (record.fullName, record.owner))
        return try JSONResponse.make(VolumeInfo(record))
    }

    /// Runs a handler, answering module errors in Unity Catalog OSS's error shape and statuses.
    static func uc(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as any IngotError {
            throw UCErrorResponse(error)
        }
    }
}

/// Unity Catalog OSS's error response: `error_code` from its own enum (NOT_FOUND, ALREADY_EXISTS,
/// INVALID_ARGUMENT, …), its HTTP status, `message` and a `details` list with one ErrorInfo.
struct UCErrorResponse: HTTPResponseError {
    let code: String
    let status: HTTPResponse.Status
    let message: String

    init(_ error: any IngotError) {
        message = error.message
        switch error.errorCode {
        case .resourceDoesNotExist, .endpointNotFound: (code, status) = ("NOT_FOUND", .notFound)
        case .resourceAlreadyExists: (code, status) = ("ALREADY_EXISTS", .conflict)
        case .resourceConflict: (code, status) = ("ABORTED", .conflict)
        case .invalidState: (code, status) = ("FAILED_PRECONDITION", .badRequest)
        case .permissionDenied: (code, status) = ("PERMISSION_DENIED", .forbidden)
        case .unauthenticated: (code, status) = ("UNAUTHENTICATED", .unauthorized)
        case .notImplemented: (code, status) = ("UNIMPLEMENTED", .notImplemented)
        case .internalError: (code, status) = ("INTERNAL", .internalServerError)
        case .requestLimitExceeded: (code, status) = ("RESOURCE_EXHAUSTED", .tooManyRequests)
        case .temporarilyUnavailable: (code, status) = ("UNAVAILABLE", .serviceUnavailable)
        case .invalidParameterValue, .badRequest, .malformedRequest: (code, status) = ("INVALID_ARGUMENT", .badRequest)
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = "{\"error_code\":\(JSONText.quote(code)),\"message\":\(JSONText.quote(message)),"
            + "\"details\":[{\"@type\":\"google.rpc.ErrorInfo\",\"reason\":\(JSONText.quote(code)),\"metadata\":{}}]}"
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// An error that already carries its API's own body shape; ``ErrorMiddleware`` passes it through.
protocol ShapedErrorResponse: HTTPResponseError {}

extension UCErrorResponse: ShapedErrorResponse {}
