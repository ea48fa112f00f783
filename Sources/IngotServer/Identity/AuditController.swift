import Foundation
import Hummingbird
import IngotCore
import IngotIdentity

/// `GET /api/2.0/ingot/audit`: the audit log, newest first, for admins. Filters: `since`/`until`
/// (epoch ms), `principal`, `outcome`, `action` (substring), `limit` (≤ 10000).
struct AuditController {
    let audit: AuditLog
    let recorder: AuditRecorder

    func addRoutes(to router: Router<IngotRequestContext>) {
        router.get("/api/2.0/ingot/audit") { request, context in try await list(request, context) }
    }

    func list(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        guard context.principal.isAdmin else {
            throw APIErrorResponse(.permissionDenied, "only admins may read the audit log")
        }
        let params = request.uri.queryParameters
        var query = AuditLog.Query()
        func int64(_ name: String) throws -> Int64? {
            guard let text = params.get(name) else { return nil }
            guard let value = Int64(text) else { throw APIErrorResponse(.invalidParameterValue, "\(name) must be an integer (epoch milliseconds)") }
            return value
        }
        query.since = try int64("since")
        query.until = try int64("until")
        query.principal = params.get("principal")
        query.outcome = params.get("outcome")
        query.actionContains = params.get("action")
        if let limit = params.get("limit") {
            guard let n = Int(limit), (1...10_000).contains(n) else { throw APIErrorResponse(.invalidParameterValue, "limit must be 1-10000") }
            query.limit = n
        }
        // What is still buffered belongs in the answer.
        await recorder.flush()
        struct Item: Encodable {
            let time: Int64
            let principal: String
            let source: String
            let action: String
            let object: String
            let outcome: String
            let status: Int
            let request_id: String
        }
        let items = try await audit.events(query).map {
            Item(time: $0.time, principal: $0.principal, source: $0.source, action: $0.action, object: $0.object, outcome: $0.outcome, status: $0.status,
                 request_id: $0.requestID)
        }
        return try JSONResponse.make(["events": items])
    }
}
