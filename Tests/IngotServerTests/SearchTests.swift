import Foundation
import IngotCatalog
import IngotCore
import IngotLake
import Testing

@testable import IngotServer

/// Search: ranking tiers, type filters, and results limited to what the caller may see.
@Suite struct SearchTests {
    static func entry(_ type: SearchEntryType, _ name: String, title: String? = nil, comment: String? = nil, tags: [String: String] = [:]) -> SearchEntry {
        SearchEntry(type: type, name: name, title: title ?? String(name.split(separator: ".").last!), comment: comment, tags: tags, link: nil,
                    parent: nil, access: AccessRequest(objectType: "uc:table", objectID: name, privilege: "SELECT"))
    }

    @Test func rankingTiers() {
        let entries = [
            Self.entry(.table, "main.sales.orders_raw"),
            Self.entry(.table, "main.sales.orders"),
            Self.entry(.column, "main.sales.customers.order_count", title: "order_count"),
            Self.entry(.table, "main.sales.raw_orders"),
            Self.entry(.table, "main.sales.preorders"),
            Self.entry(.table, "main.sales.returns", comment: "refunds of orders"),
            Self.entry(.table, "main.sales.misc", tags: ["domain": "orders"]),
            Self.entry(.table, "main.sales.unrelated"),
        ]
        let ranked = SearchRanking.rank(entries, SearchQuery("orders"))
        #expect(ranked.map(\.entry.title) == ["orders", "orders_raw", "raw_orders", "preorders", "returns", "misc"])
        #expect(ranked.map(\.score) == [1000, 800, 600, 400, 200, 150])
        // Multiple terms: each must match somewhere.
        let two = SearchRanking.rank(entries, SearchQuery("raw orders"))
        #expect(two.map(\.entry.title) == ["orders_raw", "raw_orders"])
        // Full names count as names.
        #expect(SearchRanking.rank(entries, SearchQuery("main.sales.orders")).first?.score == 1000)
        // Types filter.
        #expect(SearchRanking.rank(entries, SearchQuery("order", types: [.column])).map(\.entry.title) == ["order_count"])
        #expect(SearchEntryType(parameter: "tables") == .table && SearchEntryType(parameter: "models") == .registeredModel)
        #expect(SearchEntryType(parameter: "bogus") == nil)
    }

    struct Provider: SearchProvider {
        let entries: [SearchEntry]
        let types = Set(SearchEntryType.allCases)
        func candidates(_ query: SearchQuery) async throws -> [SearchEntry] { entries }
    }

    /// Allows only the listed object ids.
    struct OnlyAuthorizer: Authorizer {
        let allowed: Set<String>
        func check(_ principal: Principal, _ request: AccessRequest) async throws -> Bool { allowed.contains(request.objectID) }
    }

    @Test func resultsAreFilteredToTheCaller() async throws {
        let entries = [Self.entry(.table, "main.a.orders"), Self.entry(.table, "main.b.orders"), Self.entry(.table, "main.c.orders_2")]
        let service = SearchService(providers: [Provider(entries: entries)], authorizer: OnlyAuthorizer(allowed: ["main.b.orders", "main.c.orders_2"]), enforce: true)
        let alice = Principal(name: "alice")
        #expect(try await service.search(SearchQuery("orders"), caller: alice, limit: 10).map(\.name) == ["main.b.orders", "main.c.orders_2"])
        #expect(try await service.search(SearchQuery("orders"), caller: alice, limit: 1).map(\.name) == ["main.b.orders"])
        #expect(try await service.search(SearchQuery("orders"), caller: .localAdmin, limit: 10).count == 3)
    }

    @Test func catalogProviderFindsTablesColumnsAndEscapesLike() async throws {
        let services = try ServerTests.makeServices()
        _ = try await services.tables.namespace.createSchema(catalog: "main", name: "sales", comment: "Revenue data", owner: "admin")
        let schema = Schema([Field("order_id", .int64), Field("amount_pct", .float64)])
        try await services.tables.create(try TableName(parsing: "main.sales.orders"), schema: schema, comment: "All web orders", owner: "admin")
        try await services.tables.create(try TableName(parsing: "main.sales.refunds"), schema: Schema([Field("x", .int64)]), owner: "admin")
        let admin = Principal.localAdmin
        let byName = try await services.search.search(SearchQuery("orders"), caller: admin, limit: 10)
        #expect(byName.first?.type == "table" && byName.first?.name == "main.sales.orders")
        let columns = try await services.search.search(SearchQuery("order_id", types: [.column]), caller: admin, limit: 10)
        #expect(columns.map(\.name) == ["main.sales.orders.order_id"])
        let comment = try await services.search.search(SearchQuery("revenue"), caller: admin, limit: 10)
        #expect(comment.map(\.name) == ["main.sales"])
        // `%` and `_` are literal characters, not wildcards.
        #expect(try await services.search.search(SearchQuery("%"), caller: admin, limit: 10).isEmpty)
        #expect(try await services.search.search(SearchQuery("t_pct"), caller: admin, limit: 10).map(\.name) == ["main.sales.orders.amount_pct"])
        #expect(try await services.search.search(SearchQuery("'; DROP TABLE catalog_tables; --"), caller: admin, limit: 10).isEmpty)
        #expect(try await services.search.search(SearchQuery("refunds"), caller: admin, limit: 10).first?.name == "main.sales.refunds")
        // Tags and column comments (Unity Catalog metadata) are searched too.
        try await services.tables.namespace.setTags(.table, "main.sales.refunds", set: ["domain": "finance"], unset: [], actor: "admin")
        try await services.tables.namespace.setTags(.table, "main.sales.orders", column: "order_id", set: ["pii": "none"], unset: [], actor: "admin")
        let tagged = try await services.search.search(SearchQuery("finance"), caller: admin, limit: 10)
        #expect(tagged.map(\.name) == ["main.sales.refunds"] && tagged.first?.score == 150)
        #expect(try await services.search.search(SearchQuery("pii", types: [.column]), caller: admin, limit: 10).map(\.name) == ["main.sales.orders.order_id"])
    }
}
