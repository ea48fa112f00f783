import Foundation
import IngotCatalog
import IngotLake

/// Records the lineage of a SQL statement that wrote a table (INSERT, CTAS, MERGE): its source
/// tables flow into its target through the statement, with column mappings where the SELECT list
/// shows them (bare names placed and `*` expanded with the tables' current schemas).
struct StatementLineageRecorder: Sendable {
    let lineage: LineageService

    func record(statementID: String, statement: String, catalog: String, schema: String, principal: String) async {
        let via = LineageNode(.sqlStatement, statementID)
        let tables = lineage.tables
        let links = await SQLLineage.links(
            statement, catalog: catalog, schema: schema, via: via, origin: "sql", event: statementID,
            columnsOf: { name in
                let p = name.split(separator: ".").map(String.init)
                guard p.count == 3, let t = try? TableName(catalog: p[0], schema: p[1], table: p[2]),
                    let d = try? await tables.detail(t)
                else { return nil }
                return d.schema.fields.map(\.name)
            })
        guard !links.isEmpty else { return }
        let text = statement.count > 4000 ? String(statement.prefix(4000)) + "…" : statement
        try? await lineage.record(links, attributes: [via.key: ["text": text, "submitted_by": principal]])
    }
}
