import Foundation
import IngotStorage
import Testing

@testable import IngotCatalog

@Suite struct LineageStoreTests {
    struct Fixture {
        let service: LineageService
        let root: URL
    }

    static func fixture() throws -> Fixture {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lineage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let metadata = try MetadataStore(inMemoryWith: CatalogModule.migrations + CatalogMetadataModule.migrations + LineageModule.migrations)
        try metadata.migrate()
        let tables = TableService(namespace: NamespaceStore(metadata: metadata), objects: try LocalObjectStore(root: root))
        return Fixture(service: LineageService(store: LineageStore(metadata: metadata), tables: tables), root: root)
    }

    static func register(_ f: Fixture, _ name: String) async throws {
        let t = try TableName(parsing: name)
        if (try? await f.service.tables.namespace.schema(catalog: t.catalog, name: t.schema)) == nil {
            _ = try await f.service.tables.namespace.createSchema(catalog: t.catalog, name: t.schema, owner: "admin")
        }
        try await f.service.tables.namespace.createTable(
            TableRecord(
                name: t, tableID: UUID().uuidString, tableType: .managed, dataSourceFormat: "DELTA",
                storageLocation: "warehouse/\(t.catalog)/\(t.schema)/\(t.table)", deltaVersion: 0, icebergMetadataLocation: nil, comment: nil,
                owner: "admin", properties: [:], createdAt: 1, updatedAt: 1))
    }

    /// file → bronze → silver → gold (pipeline p1) → run → model v1 → endpoint; job 7 runs p1.
    static func chain(_ f: Fixture) async throws {
        let p = LineageNode(.pipeline, "p1")
        try await f.service.record([
            LineageLink(LineageNode(.file, "/landing/a.csv"), .table("main.s.bronze"), via: p, origin: "pipeline", recordedAt: 1),
            LineageLink(.table("main.s.bronze"), .table("main.s.silver"), via: p, origin: "pipeline", recordedAt: 2),
            LineageLink(.table("main.s.silver"), .table("main.s.gold"), via: p, origin: "pipeline",
                        columns: [ColumnMapping(target: "revenue", sources: ["amount", "qty"])], recordedAt: 3),
            LineageLink(.table("main.s.gold"), LineageNode(.mlflowRun, "r1"), origin: "tracking", recordedAt: 4),
            LineageLink(LineageNode(.mlflowRun, "r1"), .modelVersion("m", "1"), origin: "registry", recordedAt: 5),
            LineageLink(.modelVersion("m", "1"), LineageNode(.servingEndpoint, "ep"), origin: "serving", recordedAt: 6),
            LineageLink(LineageNode(.job, "7"), p, origin: "job", recordedAt: 7),
        ])
    }

    @Test func walksFromEndpointBackToTheLandingFile() async throws {
        let f = try Self.fixture()
        try await Self.chain(f)
        let g = try await f.service.graph(from: LineageNode(.servingEndpoint, "ep"), direction: .upstream, depth: 10)
        #expect(g.links.count == 6)
        #expect(g.nodes.contains(LineageNode(.file, "/landing/a.csv")))
        #expect(g.nodes.contains(LineageNode(.pipeline, "p1")))  // as the links' process
        #expect(!g.nodes.contains(LineageNode(.job, "7")))  // processes are not walked through
        let gold = g.links.first { $0.target == .table("main.s.gold") }
        #expect(gold?.columns == [ColumnMapping(target: "revenue", sources: ["amount", "qty"])])
        // Depth limits the walk; names fold case for tables.
        let near = try await f.service.graph(from: .table("MAIN.S.Silver"), direction: .both, depth: 1)
        #expect(Set(near.links.map { "\($0.source.name)>\($0.target.name)" }) == ["main.s.bronze>main.s.silver", "main.s.silver>main.s.gold"])
        let down = try await f.service.graph(from: LineageNode(.file, "/landing/a.csv"), direction: .downstream, depth: 10)
        #expect(down.nodes.contains(LineageNode(.servingEndpoint, "ep")))
    }

    @Test func processRootsWalkTheirLinks() async throws {
        let f = try Self.fixture()
        try await Self.chain(f)
        let up = try await f.service.graph(from: LineageNode(.pipeline, "p1"), direction: .upstream, depth: 1)
        #expect(Set(up.links.map(\.source.name)) == ["/landing/a.csv", "main.s.bronze", "main.s.silver", "7"])
        let job = try await f.service.graph(from: LineageNode(.job, "7"), direction: .downstream, depth: 2)
        #expect(Set(job.links.map(\.target.name)).isSuperset(of: ["p1", "main.s.bronze", "main.s.silver", "main.s.gold"]))
    }

    @Test func replaceSwapsOneOriginAndKeepsUnchangedTimes() async throws {
        let f = try Self.fixture()
        let a = LineageLink(.table("main.s.a"), .table("main.s.b"), origin: "feed", recordedAt: 10)
        let b = LineageLink(.table("main.s.b"), .table("main.s.c"), origin: "feed", recordedAt: 10)
        let other = LineageLink(.table("main.s.a"), .table("main.s.c"), origin: "sql", recordedAt: 10)
        try await f.service.store.replace(origin: "feed", with: [a, b])
        try await f.service.record([other])
        var a2 = a
        a2.recordedAt = 99
        try await f.service.store.replace(origin: "feed", with: [a2], attributes: ["pipeline:x": ["display_name": "X"]])
        let all = try await f.service.store.allLinks()
        #expect(all.count == 2)
        #expect(all.first { $0.origin == "feed" }?.recordedAt == 10)
        #expect(all.contains(other))
        #expect(try await f.service.store.attributes(["pipeline:x"]) == ["pipeline:x": ["display_name": "X"]])
    }

    @Test func datasetSourcesMapToCatalogTables() async throws {
        let f = try Self.fixture()
        try await Self.register(f, "main.gold.sales")
        let s = f.service
        #expect(await s.datasetSourceNode(sourceType: "local", source: #"{"uri": "main.gold.sales"}"#, name: "d") == .table("main.gold.sales"))
        #expect(await s.datasetSourceNode(sourceType: "delta_table", source: #"{"delta_table_name": "MAIN.gold.sales", "delta_table_version": 3}"#, name: "d") == .table("main.gold.sales"))
        let path = f.root.appendingPathComponent("warehouse/main/gold/sales").path
        #expect(await s.datasetSourceNode(sourceType: "delta_table", source: "{\"path\": \"\(path)\"}", name: "d") == .table("main.gold.sales"))
        #expect(await s.datasetSourceNode(sourceType: "local", source: "{\"uri\": \"file://\(path)/part-0.parquet\"}", name: "d") == .table("main.gold.sales"))
        #expect(await s.datasetSourceNode(sourceType: "local", source: #"{"uri": "/tmp/x.csv"}"#, name: "d") == LineageNode(.file, "/tmp/x.csv"))
        #expect(await s.datasetSourceNode(sourceType: "http", source: #"{"url": "https://e.com/d.csv"}"#, name: "d") == LineageNode(.externalDataset, "http:https://e.com/d.csv"))
        #expect(await s.datasetSourceNode(sourceType: "local", source: #"{"uri": "main.gold.nope"}"#, name: "d").type == .externalDataset)
        #expect(await s.openLineageDatasetNode(namespace: "ingot://localhost:8470", name: "main.gold.sales") == .table("main.gold.sales"))
        #expect(await s.openLineageDatasetNode(namespace: "ingot/main", name: "gold.sales") == .table("main.gold.sales"))
        #expect(await s.openLineageDatasetNode(namespace: "file", name: "/data/in.csv") == LineageNode(.file, "/data/in.csv"))
        #expect(await s.openLineageDatasetNode(namespace: "postgres://db:5432", name: "public.users") == LineageNode(.externalDataset, "postgres://db:5432/public.users"))
    }
}
