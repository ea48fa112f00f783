import Foundation
import IngotCatalog
import IngotCore
import IngotLake
import IngotPipelines
import IngotRegistry
import IngotServing
import IngotTracking

/// Catalogs, schemas and tables (a `LIKE` query per term in the catalog module) and their columns
/// (each table's Delta schema, cached per table version).
struct CatalogSearchProvider: SearchProvider {
    let tables: TableService
    let columns: ColumnIndexCache
    let types: Set<SearchEntryType> = [.catalog, .schema, .table, .column, .volume]

    func candidates(_ query: SearchQuery) async throws -> [SearchEntry] {
        var out: [SearchEntry] = []
        if query.wants(.catalog) || query.wants(.schema) || query.wants(.table) || query.wants(.volume) {
            for hit in try await tables.namespace.search(terms: query.terms) {
                let title = String(hit.fullName.split(separator: ".").last ?? "")
                let tags = hit.properties.merging(hit.tags) { _, tag in tag }
                switch hit.kind {
                case .catalog:
                    out.append(SearchEntry(type: .catalog, name: hit.fullName, title: title, comment: hit.comment, tags: tags,
                                           link: Self.link(hit.fullName), access: AccessRequest(objectType: "uc:table", objectID: hit.fullName, privilege: "USE CATALOG")))
                case .schema:
                    out.append(SearchEntry(type: .schema, name: hit.fullName, title: title, comment: hit.comment, tags: tags,
                                           link: Self.link(hit.fullName), parent: hit.fullName.split(separator: ".").first.map(String.init),
                                           access: AccessRequest(objectType: "uc:table", objectID: hit.fullName, privilege: "USE SCHEMA")))
                case .table:
                    out.append(SearchEntry(type: .table, name: hit.fullName, title: title, comment: hit.comment, tags: tags,
                                           link: Self.link(hit.fullName), parent: hit.fullName.split(separator: ".").dropLast().joined(separator: "."),
                                           access: AccessRequest(objectType: "uc:table", objectID: hit.fullName, privilege: "SELECT")))
                case .volume:
                    out.append(SearchEntry(type: .volume, name: hit.fullName, title: title, comment: hit.comment, tags: tags,
                                           link: Self.link(hit.fullName) + "?volume=1", parent: hit.fullName.split(separator: ".").dropLast().joined(separator: "."),
                                           access: AccessRequest(objectType: "uc:table", objectID: hit.fullName, privilege: "READ VOLUME")))
                }
            }
        }
        if query.wants(.column) {
            let notes = try await tables.namespace.columnAnnotations()
            for c in try await columns.columns(tables) {
                let comment = notes.comments[c.tableID]?[c.name]
                var tags = notes.tags[c.table]?[c.name] ?? [:]
                let text = ([c.name, comment ?? ""] + tags.flatMap { [$0.key, $0.value] }).joined(separator: " ").lowercased()
                guard query.terms.allSatisfy({ text.contains($0) }) else { continue }
                tags["type"] = c.type
                out.append(SearchEntry(type: .column, name: "\(c.table).\(c.name)", title: c.name, comment: comment, tags: tags,
                                       link: Self.link(c.table), parent: c.table,
                                       access: AccessRequest(objectType: "uc:table", objectID: c.table, privilege: "SELECT")))
            }
        }
        return out
    }

    /// The catalog page of a full name (`catalog/<c>/<s>/<t>` under `/ui/`).
    static func link(_ fullName: String) -> String { "catalog/" + fullName.split(separator: ".").joined(separator: "/") }
}

/// Column names of every table, re-read only when a table's recorded version changes.
actor ColumnIndexCache {
    struct ColumnInfo: Sendable {
        let table: String
        let tableID: String
        let name: String
        let type: String
    }
    private var cache: [String: (version: Int64?, columns: [ColumnInfo])] = [:]

    func columns(_ tables: TableService) async throws -> [ColumnInfo] {
        var out: [ColumnInfo] = []
        var live: Set<String> = []
        for record in try await tables.namespace.allTables() {
            let key = record.name.description
            live.insert(key)
            if let hit = cache[key], hit.version == record.deltaVersion {
                out += hit.columns
                continue
            }
            var columns: [ColumnInfo] = []
            if let table = try? tables.lakeTable(record), let snapshot = try? await table.snapshot(), let schema = try? snapshot.schema {
                columns = schema.fields.map { ColumnInfo(table: key, tableID: record.tableID, name: $0.name, type: "\($0.type)") }
            }
            cache[key] = (record.deltaVersion, columns)
            out += columns
        }
        for key in cache.keys where !live.contains(key) { cache[key] = nil }
        return out
    }
}

/// MLflow experiments (active ones), by name and tags (`mlflow.note.content` is the description).
struct ExperimentSearchProvider: SearchProvider {
    let store: any TrackingStore
    let types: Set<SearchEntryType> = [.experiment]

    func candidates(_ query: SearchQuery) async throws -> [SearchEntry] {
        var out: [SearchEntry] = []
        var token: String?
        for _ in 0..<20 {
            let page = try await store.searchExperiments(filter: nil, orderBy: [], viewType: .activeOnly, maxResults: 1000, pageToken: token)
            for e in page.items {
                var tags: [String: String] = [:]
                for t in e.tags ?? [] where t.key != "mlflow.note.content" { tags[t.key] = t.value }
                let note = e.tags?.first { $0.key == "mlflow.note.content" }?.value
                out.append(SearchEntry(type: .experiment, name: e.experiment_id, title: e.name, comment: note, tags: tags,
                                       link: "experiments/\(e.experiment_id)",
                                       access: AccessRequest(objectType: "experiments", objectID: e.experiment_id, privilege: "CAN_READ")))
            }
            guard let next = page.nextPageToken else { break }
            token = next
        }
        return out
    }
}

/// Registered models, by name, description and tags.
struct ModelSearchProvider: SearchProvider {
    let store: any RegistryStore
    let types: Set<SearchEntryType> = [.registeredModel]

    func candidates(_ query: SearchQuery) async throws -> [SearchEntry] {
        var out: [SearchEntry] = []
        var token: String?
        for _ in 0..<20 {
            let page = try await store.searchRegisteredModels(filter: try RegistryFilter.parse(nil), orderBy: [], maxResults: 1000, pageToken: token)
            for m in page.items {
                out.append(SearchEntry(type: .registeredModel, name: m.name, title: m.name, comment: m.description,
                                       tags: Dictionary(m.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }),
                                       link: "models/\(m.name)",
                                       access: AccessRequest(objectType: "registered-models", objectID: m.name, privilege: "CAN_READ")))
            }
            guard let next = page.nextPageToken else { break }
            token = next
        }
        return out
    }
}

/// Pipelines, by name (and their target catalog.schema).
struct PipelineSearchProvider: SearchProvider {
    let store: PipelineStore
    let types: Set<SearchEntryType> = [.pipeline]

    func candidates(_ query: SearchQuery) async throws -> [SearchEntry] {
        try await store.pipelines().map { p in
            SearchEntry(type: .pipeline, name: p.id, title: p.name, comment: nil,
                        tags: ["target": "\(p.settings.catalog).\(p.settings.schema)"], link: "pipelines/\(p.id)",
                        access: AccessRequest(objectType: "pipelines", objectID: p.id, privilege: "CAN_VIEW"))
        }
    }
}

/// Serving endpoints, by name, description and tags.
struct EndpointSearchProvider: SearchProvider {
    let store: EndpointStore
    let types: Set<SearchEntryType> = [.servingEndpoint]

    func candidates(_ query: SearchQuery) async throws -> [SearchEntry] {
        try await store.list().map { e in
            SearchEntry(type: .servingEndpoint, name: e.name, title: e.name, comment: e.description,
                        tags: Dictionary(e.tags.map { ($0.key, $0.value ?? "") }, uniquingKeysWith: { a, _ in a }), link: "serving/\(e.name)",
                        access: AccessRequest(objectType: "serving-endpoints", objectID: e.name, privilege: "CAN_VIEW"))
        }
    }
}
