import Foundation
import Hummingbird
import IngotCore
import IngotIdentity
import ServiceLifecycle

/// Records every mutating request and every refused one (401/403) in the audit log: who, from
/// where, what, on which object, and the outcome. Runs inside authentication so the principal is
/// known; sign-in failures are reported by ``AuthenticationMiddleware`` through the same recorder.
struct AuditMiddleware: RouterMiddleware {
    typealias Context = IngotRequestContext
    let recorder: AuditRecorder

    /// POST routes that only read (MLflow and others search with POST; scoring requests change
    /// nothing and are logged by the endpoint's inference table instead); not audited as changes.
    static let readOnlySuffixes = ["/search", "/get-history", "/get-history-bulk-interval", "/search-datasets", "/invocations", "/infer"]

    static func isMutation(_ request: Request) -> Bool {
        switch request.method {
        case .post:
            let path = request.uri.path
            return !readOnlySuffixes.contains { path.hasSuffix($0) }
        case .put, .patch, .delete: return true
        default: return false
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Sign-in records its own event, naming the account (success or failure).
        if request.uri.path == SessionController.loginPath { return try await next(request, context) }
        do {
            let response = try await next(request, context)
            let code = Int(response.status.code)
            if Self.isMutation(request) || code == 401 || code == 403 {
                await recorder.record(request, context, status: code)
            }
            return response
        } catch {
            let code = Int(Self.status(of: error).code)
            if Self.isMutation(request) || code == 401 || code == 403 {
                await recorder.record(request, context, status: code)
            }
            throw error
        }
    }

    /// The status the error middleware will answer with.
    static func status(of error: any Error) -> HTTPResponse.Status {
        switch error {
        case let e as APIErrorResponse: return e.status
        case let e as any IngotError: return APIErrorResponse(e).status
        case let e as HTTPError: return e.status
        case is DecodingError: return .badRequest
        default: return .internalServerError
        }
    }
}

/// Buffers audit events and appends them to the store in small transactions from its own service
/// loop, so auditing adds no database commit to the request it records. A graceful shutdown
/// flushes what is buffered; retention prunes old events hourly.
actor AuditRecorder: Service {
    let log: AuditLog
    let retentionDays: Int
    private var buffer: [AuditEvent] = []
    private var lastPrune = Date.distantPast

    init(log: AuditLog, retentionDays: Int) {
        self.log = log
        self.retentionDays = retentionDays
    }

    static func source(_ context: IngotRequestContext) -> String { context.remoteAddress ?? "local" }

    /// - Parameter principal: who the event is about when the context does not say (sign-in names the account tried).
    func record(_ request: Request, _ context: IngotRequestContext, status: Int, principal: String? = nil) {
        let outcome =
            switch status {
            case 401: "unauthenticated"
            case 403: "denied"
            case 200..<400: "success"
            default: "failure"
            }
        buffer.append(
            AuditEvent(
                time: Clock.nowMillis(), principal: principal ?? (status == 401 ? "anonymous" : context.principal.name), source: Self.source(context),
                action: "\(request.method) \(request.uri.path)", object: Self.object(request.uri.path), outcome: outcome, status: status,
                requestID: context.id))
    }

    /// The object an action names: the last meaningful path segment(s), e.g. a table's full name.
    static func object(_ path: String) -> String {
        let parts = path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        if let i = parts.firstIndex(of: "tables"), i + 1 < parts.count { return "table:" + parts[i + 1] }
        if let i = parts.firstIndex(of: "catalogs"), i + 1 < parts.count { return "catalog:" + parts[i + 1] }
        if let i = parts.firstIndex(of: "schemas"), i + 1 < parts.count { return "schema:" + parts[i + 1] }
        if let i = parts.firstIndex(of: "statements") { return i + 1 < parts.count ? "statement:" + parts[i + 1] : "statement" }
        return path
    }

    func flush() async {
        guard !buffer.isEmpty else { return }
        let events = buffer
        buffer.removeAll()
        do {
            try await log.append(events)
        } catch {
            // Keep them for the next attempt rather than lose an audit record.
            buffer.insert(contentsOf: events, at: 0)
        }
    }

    /// Events recorded but not yet written (tests and the audit endpoint flush first).
    func pending() -> Int { buffer.count }

    nonisolated func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 200_000_000)
                await flush()
                await pruneIfDue()
            }
        } onGracefulShutdown: {}
        await flush()
    }

    private func pruneIfDue() async {
        guard Date().timeIntervalSince(lastPrune) > 3600 else { return }
        lastPrune = Date()
        let cutoff = Clock.nowMillis() - Int64(retentionDays) * 86_400_000
        _ = try? await log.prune(olderThan: cutoff)
    }
}
