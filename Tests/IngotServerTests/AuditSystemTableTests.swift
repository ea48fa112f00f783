import Foundation
import IngotCatalog
import IngotCore
import IngotIdentity
import IngotLake
import Testing

@testable import IngotServer

/// `system.access.audit`: empty, appended to on read, rewritten after retention or tampering, admins only.
@Suite struct AuditSystemTableTests {
    func event(_ n: Int, outcome: String = "success", status: Int = 200) -> AuditEvent {
        AuditEvent(time: Int64(1_700_000_000_000 + n), principal: "u\(n)", source: "127.0.0.1", action: "POST /api/2.0/mlflow/runs/create",
                   object: "/api/2.0/mlflow/runs/create", outcome: outcome, status: status, requestID: "r\(n)")
    }

    @Test func materializedOnRead() async throws {
        var config = IngotConfig()
        config.dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-audit-\(UUID().uuidString)").path
        let services = try IngotServices.open(config: config)
        let table = AuditSystemTable(audit: services.audit, recorder: services.auditRecorder, directory: config.dataDirectoryURL.appendingPathComponent("system"))
        func engine(admin: Bool = true) throws -> SQLEngine {
            try SQLEngine(resolver: SystemTablesResolver(base: NamespaceTableResolver(tables: services.tables, owner: "t"), audit: table, callerIsAdmin: admin))
        }
        func count(_ filter: String = "") async throws -> Int64? {
            let rows = try await engine().query("SELECT count(*) FROM system.access.audit \(filter)").rows
            if case .int(let n)? = rows.first?.first { return n }
            return nil
        }
        #expect(try await count() == 0)
        try await services.audit.append((1...3).map { event($0) })
        #expect(try await count() == 3)
        try await services.audit.append([event(4, outcome: "denied", status: 403)])
        #expect(try await count("WHERE outcome = 'denied'") == 1)
        let row = try await engine().query(
            "SELECT user_identity, service_name, response, request_params FROM system.access.audit WHERE event_id = '4'").rows.first
        #expect(row?[1] == .string("mlflowExperiment"))
        if case .string(let identity)? = row?[0] { #expect(identity.contains("\"u4\"")) } else { Issue.record("no user_identity") }
        if case .string(let response)? = row?[2] { #expect(response.contains("403") && response.contains("denied")) } else { Issue.record("no response") }
        let emails = try await engine().query(
            "SELECT json_extract(user_identity, '$.email') FROM system.access.audit WHERE json_extract(response, '$.status_code') = 403").rows
        #expect(emails == [[.string("u4")]])
        // Retention removes old events: the table follows.
        try await services.audit.prune(olderThan: 1_700_000_000_003)
        #expect(try await count() == 2)
        // A write through SQL is undone by the next read.
        _ = try await engine().query("DELETE FROM system.access.audit")
        #expect(try await count() == 2)
        // Non-admins are refused (the seam for the permission service's SELECT check).
        await #expect(throws: (any Error).self) { try await engine(admin: false).query("SELECT * FROM system.access.audit") }
        #expect(try await engine().query("SHOW TABLES IN system.access").rowCount == 1)
        try services.close()
    }
}
