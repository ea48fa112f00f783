import Foundation
import IngotCatalog
import IngotCore
import IngotIdentity
import Testing

@testable import IngotServer

/// The lineage graph shows a caller only the nodes it may see: hidden ones keep their type and
/// nothing else (no name, attributes, event or columns) in the JSON.
@Suite struct LineageVisibilityTests {
    @Test func hiddenNodesAreRedactedAndNeverNamed() async throws {
        let (services, _, _) = try await RouteGuardCoverageTests.services()
        let p = LineageNode(.pipeline, "p-secret")
        try await services.lineage.record(
            [
                LineageLink(LineageNode(.file, "/landing/secret.csv"), .table("main.s.bronze_secret"), via: p, origin: "test", recordedAt: 1),
                LineageLink(.table("main.s.bronze_secret"), .table("main.s.silver"), via: p, origin: "test", event: "upd-secret",
                            columns: [ColumnMapping(target: "total", sources: ["hidden_col"])], recordedAt: 2),
                LineageLink(.table("main.s.silver"), LineageNode(.mlflowRun, "run-secret"), origin: "test", recordedAt: 3),
            ],
            attributes: [LineageNode(.mlflowRun, "run-secret").key: ["experiment_id": "42", "display_name": "secret run"]])
        func grant(_ type: String, _ name: String, _ privilege: String) async throws {
            try await ServerTests.grant(services.authorizer.store, "uc:" + type, name, to: "nobody", [privilege])
        }
        try await grant("catalog", "main", "USE CATALOG")
        try await grant("schema", "main.s", "USE SCHEMA")
        try await grant("table", "main.s.silver", "SELECT")
        let nobody = Principal(name: "nobody")
        let g = try await services.lineage.graph(from: .table("main.s.silver"), direction: .both, depth: 5)
        let shown = await LineageVisibility(caller: nobody, authorizer: services.authorizer).visible(g)
        #expect(shown == [LineageNode.table("main.s.silver").key])
        let json = LineageJSON.graph(g, visible: shown, caller: nobody)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self)
        for secret in ["secret", "hidden_col", "bronze"] { #expect(!text.contains(secret), "\(secret) leaked: \(text)") }
        let nodes = json["nodes"] as? [[String: Any]] ?? []
        #expect(nodes.filter { $0["redacted"] as? Bool == true }.count == 4)  // bronze, pipeline, file, run
        #expect(Set(nodes.compactMap { $0["type"] as? String }) == ["table", "pipeline", "file", "mlflow_run"])

        // With the run's experiment readable and SELECT on bronze, those appear; the file too (its table is visible).
        try await grant("table", "main.s.bronze_secret", "SELECT")
        try await services.authorizer.store.setACL(
            objectType: "experiments", objectID: "42",
            entries: [PermissionRecord(objectType: "experiments", objectID: "42", principal: "nobody", kind: .user, level: "CAN_READ")], replaceAll: false)
        let more = await LineageVisibility(caller: nobody, authorizer: services.authorizer).visible(g)
        #expect(more == Set(["table:main.s.silver", "table:main.s.bronze_secret", "mlflow_run:run-secret", "file:/landing/secret.csv"]))
        let tl = LineageJSON.databricksTableLineage(g, visible: more, includeEntities: true)
        #expect(((tl["upstreams"] as? [[String: Any]])?.first?["pipelineInfos"]) == nil)  // the pipeline stays hidden
        let admin = await LineageVisibility(caller: Principal(name: "root", isAdmin: true), authorizer: services.authorizer).visible(g)
        #expect(admin.count == g.nodes.count)
    }
}
