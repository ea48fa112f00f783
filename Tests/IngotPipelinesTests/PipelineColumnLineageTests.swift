import Foundation
import IngotCatalog
import Testing

@testable import IngotPipelines

/// Column lineage of pipeline datasets: a SELECT's aliases and expressions over the tables its
/// `STREAM(...)` and table references read; an AUTO CDC flow's 1:1 columns plus SCD type 2's.
@Suite struct PipelineColumnLineageTests {
    typealias Env = PipelineRuntimeTests.Env

    func byTarget(_ m: [IngotCatalog.ColumnMapping]?) -> [String: Set<String>] {
        Dictionary(uniqueKeysWithValues: (m ?? []).map { ($0.target, Set($0.sources)) })
    }

    @Test func selectAliasesExpressionsAndCDC() async throws {
        let env = try Env()
        defer { try? FileManager.default.removeItem(at: env.root) }
        try """
            CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('landing', format => 'csv');
            CREATE OR REFRESH STREAMING TABLE clean AS SELECT r.id AS order_id, r.v * 2 AS doubled, v AS v FROM STREAM(raw) r WHERE v > 0;
            CREATE OR REFRESH MATERIALIZED VIEW total AS SELECT c.order_id, sum(c.doubled) AS s, 1 AS one FROM clean c GROUP BY c.order_id;
            CREATE OR REFRESH STREAMING TABLE hist;
            APPLY CHANGES INTO LIVE.hist FROM STREAM(LIVE.raw) KEYS (id) SEQUENCE BY v COLUMNS * EXCEPT (v, _rescued_data) STORED AS SCD TYPE 2;
            """.write(to: env.dir.appendingPathComponent("p.sql"), atomically: true, encoding: .utf8)
        try env.file("a.csv", from: 0, count: 5)
        let p = try await env.service.save(rootPath: env.dir.path, name: nil, creator: "t")
        let u = try await env.service.start(p.id, fullRefresh: false)
        let state = try await env.wait(u.id, until: ["COMPLETED", "FAILED"]).state
        let errors = try await env.service.store.events(pipelineID: p.id).filter { $0.level != "INFO" }.map { "\($0.message) \($0.error ?? "")" }
        #expect(state == "COMPLETED", "\(errors)")
        let all = try await env.service.store.currentColumnLineage()
        func of(_ dataset: String, _ source: String) -> [String: Set<String>]? {
            all.first { $0.dataset == dataset && $0.source == source }.map { byTarget($0.columns) }
        }
        #expect(all.allSatisfy { $0.updateID == u.id && $0.pipelineID == p.id })
        #expect(!all.contains { $0.dataset == "raw" })  // files only: no table columns
        #expect(of("clean", "main.s1.raw") == ["order_id": ["id"], "doubled": ["v"], "v": ["v"]])
        let total = try #require(of("total", "main.s1.clean"))
        #expect(total["order_id"] == ["order_id"] && total["s"] == ["doubled"])
        #expect(total["one"] == nil || total["one"] == [])
        #expect(of("hist", "main.s1.raw") == ["id": ["id"], "__START_AT": ["v"], "__END_AT": ["v"]])
    }
}
