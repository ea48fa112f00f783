import Foundation
import Hummingbird
import IngotCatalog
import IngotCore
import IngotLake

/// Databricks' statement-execution API (`/api/2.0/sql/statements`), so `databricks-sdk` and the SQL
/// editor page work against Ingot: submit (waiting up to `wait_timeout`), poll, fetch result chunks,
/// cancel. `warehouse_id` and the other fields the SDK sends are accepted and ignored.
struct StatementController {
    let store: StatementStore
    let runner: StatementRunner

    func addRoutes(to router: Router<IngotRequestContext>) {
        let group = router.group("/api/2.0/sql/statements")
        group.post("") { request, context in try await submit(request, context) }
        group.get(":id") { _, context in try await status(try context.parameters.require("id"), context) }
        group.post(":id/cancel") { _, context in
            let id = try context.parameters.require("id")
            _ = try await owned(id, context)
            _ = await store.cancel(id)
            return try JSONResponse.make([String: String]())
        }
        group.get(":id/result/chunks/:chunk") { _, context in
            try await chunk(try context.parameters.require("id"), try context.parameters.require("chunk"), context)
        }
        router.get("/api/2.0/ingot/sql/history") { request, context in try await history(request, context) }
    }

    struct SubmitBody: Decodable {
        struct Parameter: Decodable {
            let name: String
            let value: String?
            let type: String?
        }
        let statement: String
        let catalog: String?
        let schema: String?
        let parameters: [Parameter]?
        let wait_timeout: String?
        let on_wait_timeout: String?
        let row_limit: Int?
        let byte_limit: Int?
        let disposition: String?
        let format: String?
        let warehouse_id: String?
    }

    func submit(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let body = try await request.decode(as: SubmitBody.self, context: context)
        if let disposition = body.disposition, disposition.uppercased() != "INLINE" {
            throw IngotFailure(.invalidParameterValue, "disposition \(disposition) is not supported: results are returned INLINE")
        }
        if let format = body.format, format.uppercased() != "JSON_ARRAY" {
            throw IngotFailure(.invalidParameterValue, "format \(format) is not supported: use JSON_ARRAY")
        }
        let wait = try Self.waitTimeout(body.wait_timeout)
        let cancelOnTimeout = (body.on_wait_timeout ?? "CONTINUE").uppercased() == "CANCEL"
        if let rowLimit = body.row_limit, rowLimit < 0 { throw IngotFailure(.invalidParameterValue, "row_limit must not be negative") }
        let statement = try StatementParameters.bind(body.statement, body.parameters?.map { ($0.name, $0.value, $0.type) } ?? [])
        let id = IDGenerator.uuid()
        await store.add(id: id, statement: body.statement, principal: context.principal.name)
        runner.submit(
            StatementRunner.Job(
                id: id, statement: statement, catalog: body.catalog ?? "main", schema: body.schema ?? "default", rowLimit: body.row_limit,
                principal: context.principal.name, callerIsAdmin: context.principal.isAdmin, caller: context.principal))
        let deadline = Date().addingTimeInterval(wait)
        var pause: UInt64 = 1_000_000
        while Date() < deadline, let entry = await store.entry(id), entry.state == .pending || entry.state == .running {
            try await Task.sleep(nanoseconds: pause)
            pause = min(pause * 2, 50_000_000)
        }
        if cancelOnTimeout, let entry = await store.entry(id), entry.state == .pending || entry.state == .running {
            _ = await store.cancel(id)
            for _ in 0..<200 {
                guard let e = await store.entry(id), e.state == .running else { break }
                try await Task.sleep(nanoseconds: 5_000_000)
            }
        }
        return try await status(id, context)
    }

    /// `wait_timeout`: "0s" (return at once) or 5–50 seconds, as in Databricks; default 10s.
    static func waitTimeout(_ text: String?) throws -> TimeInterval {
        guard let text else { return 10 }
        guard text.hasSuffix("s"), let seconds = Int(text.dropLast()), seconds == 0 || (5...50).contains(seconds) else {
            throw IngotFailure(.invalidParameterValue, "wait_timeout must be 0s or between 5s and 50s, got '\(text)'")
        }
        return TimeInterval(seconds)
    }

    func owned(_ id: String, _ context: IngotRequestContext) async throws -> StatementStore.Entry {
        guard let entry = await store.entry(id), entry.principal == context.principal.name || context.principal.isAdmin else {
            throw IngotFailure(.resourceDoesNotExist, "statement \(id) does not exist (or its results expired)")
        }
        return entry
    }

    func status(_ id: String, _ context: IngotRequestContext) async throws -> Response {
        let entry = try await owned(id, context)
        return try JSONResponse.make(StatementJSON.response(entry))
    }

    func chunk(_ id: String, _ chunkText: String, _ context: IngotRequestContext) async throws -> Response {
        let entry = try await owned(id, context)
        guard let index = Int(chunkText), index >= 0 else { throw IngotFailure(.invalidParameterValue, "chunk index must be a non-negative integer") }
        guard entry.state == .succeeded, let result = entry.result else {
            throw IngotFailure(.invalidState, "statement \(id) is \(entry.state.rawValue); results exist only for SUCCEEDED statements")
        }
        guard index < max(result.chunks.count, 1) else {
            throw IngotFailure(.invalidParameterValue, "chunk \(index) does not exist (the result has \(result.chunks.count) chunks)")
        }
        return try JSONResponse.make(StatementJSON.chunk(id: id, result, index))
    }

    func history(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let limit = min(Int(request.uri.queryParameters.get("limit") ?? "50") ?? 50, 500)
        let entries = await store.recent(limit: limit, principal: context.principal.isAdmin ? nil : context.principal.name)
        struct Item: Encodable {
            let statement_id: String
            let statement: String
            let state: String
            let submitted_at: Int64
            let duration_ms: Int64?
            let row_count: Int?
            let user: String
            let error: String?
        }
        let items = entries.map { e in
            Item(
                statement_id: e.id, statement: e.statement, state: e.state.rawValue, submitted_at: Int64(e.submittedAt.timeIntervalSince1970 * 1000),
                duration_ms: e.finishedAt.map { Int64($0.timeIntervalSince(e.submittedAt) * 1000) }, row_count: e.result?.totalRows, user: e.principal,
                error: e.errorMessage)
        }
        return try JSONResponse.make(["statements": items])
    }
}
