import Foundation
import Hummingbird
import IngotCatalog
import IngotCore

/// Table monitors in Databricks Lakehouse Monitoring's shape under
/// `/api/2.1/unity-catalog/tables/{full_name}/monitor` (create POST, get, update PUT, delete;
/// `…/monitor/refreshes` run POST, list, get by id), and Ingot's quality view
/// `/api/2.0/ingot/quality/tables/{full_name}` (score, health, latest profile, history, expectation trends).
struct QualityController {
    let quality: QualityService

    func addRoutes(to router: Router<IngotRequestContext>) {
        let uc = router.group("/api/2.1/unity-catalog/tables")
        uc.post(":full_name/monitor") { request, context in
            let name = try Self.name(context)
            let config = try await Self.config(request, context)
            let record = try await quality.createMonitor(name, config: config, creator: context.principal.name)
            return try JSONResponse.make(MonitorInfo(record), status: .ok)
        }
        uc.get(":full_name/monitor") { _, context in try JSONResponse.make(MonitorInfo(try await quality.monitor(try Self.name(context)))) }
        uc.put(":full_name/monitor") { request, context in
            let name = try Self.name(context)
            let record = try await quality.updateMonitor(name, config: try await Self.config(request, context))
            return try JSONResponse.make(MonitorInfo(record))
        }
        uc.delete(":full_name/monitor") { _, context in
            try await quality.deleteMonitor(try Self.name(context))
            return try JSONResponse.make([String: String]())
        }
        uc.post(":full_name/monitor/refreshes") { _, context in
            let (refresh, _) = try await quality.refresh(try Self.name(context), trigger: "MANUAL")
            return try JSONResponse.make(refresh)
        }
        uc.get(":full_name/monitor/refreshes") { _, context in
            let name = try Self.name(context)
            _ = try await quality.monitor(name)
            return try JSONResponse.make(["refreshes": try await quality.store.refreshes(name)])
        }
        uc.get(":full_name/monitor/refreshes/:refresh_id") { _, context in
            let name = try Self.name(context)
            guard let id = Int64(try context.parameters.require("refresh_id")) else { throw CatalogError.invalidParameter("refresh_id must be a number") }
            return try JSONResponse.make(try await quality.store.refresh(name, id: id))
        }
        router.get("/api/2.0/ingot/quality/tables/:full_name") { request, context in
            let limit = request.uri.queryParameters.get("history").flatMap(Int.init).map { max(1, min($0, 1000)) } ?? 100
            return try JSONResponse.make(try await quality.summary(try Self.name(context), historyLimit: limit))
        }
        router.get("/api/2.0/ingot/quality/tables/:full_name/notifications") { _, context in
            let name = try Self.name(context)
            let list = try await quality.store.notifications(name).map { n in
                var n = n
                n.secret = nil
                return n
            }
            return try JSONResponse.make(["notifications": list])
        }
    }

    static func name(_ context: IngotRequestContext) throws -> TableName {
        try TableName(parsing: try context.parameters.require("full_name"))
    }

    static func config(_ request: Request, _ context: IngotRequestContext) async throws -> MonitorConfig {
        let buffer = try await request.body.collect(upTo: context.maxBodyBytes)
        if buffer.readableBytes == 0 { return MonitorConfig() }
        do {
            return try JSONDecoder().decode(MonitorConfig.self, from: Data(buffer.readableBytesView))
        } catch {
            throw CatalogError.invalidParameter("invalid monitor configuration: \(error)")
        }
    }

    /// Databricks' MonitorInfo, with Ingot's fields.
    struct MonitorInfo: Encodable {
        let table_name: String
        let status: String
        let health: TableHealth
        let monitor_version: String
        let created_by: String
        let created_at_ms: Int64
        let updated_at_ms: Int64
        let schedule: MonitorConfig.Schedule?
        let snapshot: [String: String]?
        let assets_dir: String?
        let output_schema_name: String?
        let refresh_on_commit: Bool
        let compute_distinct: Bool
        let thresholds: MonitorConfig.Thresholds?
        let notifications: MonitorConfig.Notifications?

        init(_ r: MonitorRecord) {
            let c = r.config.redacted
            table_name = r.tableName.description
            status = "MONITOR_STATUS_ACTIVE"
            health = r.health
            monitor_version = String(r.updatedAt)
            created_by = r.creator
            created_at_ms = r.createdAt
            updated_at_ms = r.updatedAt
            schedule = c.schedule
            snapshot = c.snapshot ?? (c.snapshot == nil ? [:] : nil)
            assets_dir = c.assets_dir
            output_schema_name = c.output_schema_name
            refresh_on_commit = c.refreshesOnCommit
            compute_distinct = c.computesDistinct
            thresholds = c.thresholds
            notifications = c.notifications
        }
    }
}
