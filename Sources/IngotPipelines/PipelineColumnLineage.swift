import Foundation
import GRDB
import IngotCatalog
import IngotLake

extension PipelineSchema {
    /// Column lineage of each dataset's latest run: per source table, the target columns and the
    /// source columns each is computed from (JSON `[{"target":…,"sources":[…]}]`).
    static func createColumnLineageV4(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE pipeline_column_lineage (
                    pipeline_id TEXT NOT NULL REFERENCES pipelines(pipeline_id) ON DELETE CASCADE,
                    dataset TEXT NOT NULL,
                    source TEXT NOT NULL,
                    update_id TEXT NOT NULL,
                    columns TEXT NOT NULL,
                    PRIMARY KEY (pipeline_id, dataset, source)
                );
                """)
    }
}

/// The column lineage one dataset's run recorded from one source table.
public struct DatasetColumnLineage: Sendable, Hashable {
    public var pipelineID: String
    public var dataset: String
    /// The source table (`catalog.schema.table`, lower case).
    public var source: String
    public var updateID: String
    public var columns: [IngotCatalog.ColumnMapping]
}

extension PipelineStore {
    /// Replaces the column lineage of (pipeline, dataset) with that of its run `updateID`.
    public func recordColumnLineage(pipelineID: String, dataset: String, updateID: String, _ bySource: [String: [IngotCatalog.ColumnMapping]]) async throws {
        let encoded = try bySource.mapValues { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try await metadata.writer.write { db in
            try db.execute(sql: "DELETE FROM pipeline_column_lineage WHERE pipeline_id = ? AND dataset = ?", arguments: [pipelineID, dataset])
            for (source, json) in encoded {
                try db.execute(sql: "INSERT INTO pipeline_column_lineage (pipeline_id, dataset, source, update_id, columns) VALUES (?, ?, ?, ?, ?)",
                               arguments: [pipelineID, dataset, source, updateID, json])
            }
        }
    }

    /// Every dataset's recorded column lineage.
    public func currentColumnLineage() async throws -> [DatasetColumnLineage] {
        try await metadata.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM pipeline_column_lineage").map { r in
                let json: String = r["columns"]
                return DatasetColumnLineage(pipelineID: r["pipeline_id"], dataset: r["dataset"], source: r["source"], updateID: r["update_id"],
                                            columns: (try? JSONDecoder().decode([IngotCatalog.ColumnMapping].self, from: Data(json.utf8))) ?? [])
            }
        }
    }
}

extension PipelineRunner {
    /// The column lineage a dataset's definition shows, per source table (`catalog.schema.table`,
    /// lower case): a query's SELECT list analyzed over its sources' schemas, its references written
    /// as the tables they read; an AUTO CDC flow maps its selected columns 1:1 (SCD type 2's
    /// `__START_AT` / `__END_AT` from the sequencing column). Files are not tables: no columns.
    func columnLineage(_ d: PipelineDataset, def: PipelineDefinition) async -> [String: [IngotCatalog.ColumnMapping]] {
        let s = def.settings
        func full(_ parts: [String]) -> String {
            (parts.count == 3 ? parts : parts.count == 2 ? [s.catalog] + parts : [s.catalog, s.schema] + parts).joined(separator: ".").lowercased()
        }
        if let flow = d.cdc {
            let source: String
            switch flow.source {
            case .table(let p), .stream(let p): source = full(p)
            case .files: return [:]
            }
            guard let columns = await columnsOf(source) else { return [:] }
            var out = flow.columns.select(columns).map { IngotCatalog.ColumnMapping(target: $0, sources: [$0]) }
            if flow.scdType == 2 { out += ["__START_AT", "__END_AT"].map { IngotCatalog.ColumnMapping(target: $0, sources: [flow.sequenceBy]) } }
            return [source: out]
        }
        // The query with each reference written as the table it names (files as a placeholder).
        var query = Array(d.query)
        for r in d.references.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            let text: String
            switch r.source {
            case .table(let p), .stream(let p): text = full(p).split(separator: ".").map { Self.q(String($0)) }.joined(separator: ".")
            case .files: text = "`__files`.`__files`.`__files`"
            }
            query.replaceSubrange(r.range, with: Array(text))
        }
        let target = [s.catalog, s.schema, d.name].map(Self.q).joined(separator: ".")
        guard let plan = SQLLineagePlan.analyze("CREATE TABLE \(target) AS \(String(query))") else { return [:] }
        let names = plan.sources.map { full($0.parts) }
        var columns: [Int: [String]] = [:]
        for (i, n) in names.enumerated() where !n.hasPrefix("__files.") { columns[i] = await columnsOf(n) }
        let mapping = plan.columnLineage(columnsOf: { columns[$0] }, targetColumns: await columnsOf(full([s.catalog, s.schema, d.name])))
        var out: [String: [IngotCatalog.ColumnMapping]] = [:]
        for (i, n) in names.enumerated() where !n.hasPrefix("__files.") {
            var merged: [String: [String]] = [:]
            for m in out[n] ?? [] { merged[m.target] = m.sources }
            for m in mapping[i] ?? [] { merged[m.target, default: []] += m.sources.filter { !(merged[m.target] ?? []).contains($0) } }
            out[n] = merged.map { IngotCatalog.ColumnMapping(target: $0.key, sources: $0.value) }.sorted { $0.target < $1.target }
        }
        return out
    }

    /// A table's column names, nil when it does not exist.
    func columnsOf(_ fullName: String) async -> [String]? {
        let p = fullName.split(separator: ".", maxSplits: 2).map(String.init)
        guard p.count == 3, let name = try? TableName(catalog: p[0], schema: p[1], table: p[2]),
              (try? await tables.namespace.tableIfExists(name)) ?? nil != nil,
              let (_, table) = try? await tables.open(name), let snap = try? await table.snapshot(), let schema = try? snap.schema else { return nil }
        return schema.fields.map(\.name)
    }
}
