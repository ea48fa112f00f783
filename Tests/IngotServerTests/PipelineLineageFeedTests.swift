import Foundation
import IngotCatalog
import IngotCore
import IngotIdentity
import IngotPipelines
import Testing

@testable import IngotServer

/// A pipeline's lineage in the catalog graph: its landing volume as a `volume` node (READ VOLUME to
/// see it), and the column mappings of a silver SELECT with aliases and expressions on its edge.
@Suite struct PipelineLineageFeedTests {
    @Test func silverColumnsAndLandingVolume() async throws {
        let (services, _, _) = try await RouteGuardCoverageTests.services()
        defer { try? FileManager.default.removeItem(atPath: services.config.dataDir) }
        _ = try await services.tables.namespace.createSchema(catalog: "main", name: "s", owner: "root")
        let volumes = VolumeService.make(config: services.config, metadata: services.metadata)
        let volume = try await volumes.create(catalog: "main", schema: "s", name: "landing", type: .managed, storageLocation: nil, comment: nil, owner: "root")
        let orders = URL(fileURLWithPath: volume.directory).appendingPathComponent("orders")
        try FileManager.default.createDirectory(at: orders, withIntermediateDirectories: true)
        try "id,qty,price,country\n1,2,3.5,fr\n2,0,1.0,de\n3,1,2.0,us\n".write(to: orders.appendingPathComponent("a.csv"), atomically: true, encoding: .utf8)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-plf-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "name: plf\ncatalog: main\nschema: s\n".write(to: dir.appendingPathComponent("pipeline.yaml"), atomically: true, encoding: .utf8)
        try """
            CREATE OR REFRESH STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('/Volumes/main/s/landing/orders', format => 'csv');
            CREATE OR REFRESH MATERIALIZED VIEW silver AS
              SELECT b.id AS order_id, b.qty * b.price AS amount, upper(country) AS country_code, 'x' AS tag
              FROM bronze b WHERE b.qty > 0;
            """.write(to: dir.appendingPathComponent("p.sql"), atomically: true, encoding: .utf8)
        let p = try await services.pipelines.save(rootPath: dir.path, name: nil, creator: "root")
        let u = try await services.pipelines.start(p.id, fullRefresh: false)
        let deadline = Date().addingTimeInterval(60)
        var state = ""
        while Date() < deadline {
            state = try await services.pipelines.store.update(u.id).state
            if ["COMPLETED", "FAILED", "CANCELED"].contains(state) { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        let errors = try await services.pipelines.store.events(pipelineID: p.id).filter { $0.level != "INFO" }.map { "\($0.message) \($0.error ?? "")" }
        #expect(state == "COMPLETED", "\(errors)")

        let g = try await services.lineage.graph(from: .table("main.s.silver"), direction: .upstream, depth: 5)
        let edge = try #require(g.links.first { $0.source == .table("main.s.bronze") && $0.target == .table("main.s.silver") })
        #expect(edge.via == LineageNode(.pipeline, p.id))
        let columns = Dictionary(uniqueKeysWithValues: edge.columns.map { ($0.target, Set($0.sources)) })
        #expect(columns["order_id"] == ["id"])
        #expect(columns["amount"] == ["qty", "price"])
        #expect(columns["country_code"] == ["country"])
        #expect(columns["tag"] == nil || columns["tag"] == [])
        // The landing folder is a volume node upstream of bronze, not a file.
        let vol = LineageNode(.volume, "main.s.landing")
        #expect(g.links.contains { $0.source == vol && $0.target == .table("main.s.bronze") })
        #expect(!g.nodes.contains { $0.type == .file })
        #expect(g.attributes[vol.key]?["path"] == "/Volumes/main/s/landing/orders")

        // Visibility: SELECT on both tables shows them, the volume stays redacted until READ VOLUME.
        func grant(_ type: String, _ name: String, _ privilege: String) async throws {
            try await ServerTests.grant(services.authorizer.store, "uc:" + type, name, to: "nobody", [privilege])
        }
        try await grant("catalog", "main", "USE CATALOG")
        try await grant("schema", "main.s", "USE SCHEMA")
        try await grant("table", "main.s.silver", "SELECT")
        try await grant("table", "main.s.bronze", "SELECT")
        let nobody = Principal(name: "nobody")
        let shown = await LineageVisibility(caller: nobody, authorizer: services.authorizer).visible(g)
        #expect(shown.contains("table:main.s.bronze") && !shown.contains(vol.key))
        let json = LineageJSON.graph(g, visible: shown, caller: nobody)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self)
        #expect(!text.contains("landing"), "volume leaked: \(text)")
        #expect(text.contains("order_id"))
        try await grant("volume", "main.s.landing", "READ VOLUME")
        let more = await LineageVisibility(caller: nobody, authorizer: services.authorizer).visible(g)
        #expect(more.contains(vol.key))
        let admin = await LineageVisibility(caller: Principal(name: "root", isAdmin: true), authorizer: services.authorizer).visible(g)
        #expect(admin.count == g.nodes.count)
    }
}
