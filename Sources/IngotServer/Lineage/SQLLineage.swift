import Foundation
import IngotCatalog
import IngotLake

/// Lineage links of one writing SQL statement: each table it reads flows into the table it writes,
/// through `via` (the statement, or the job whose task ran it), with the column mappings its SELECT
/// list shows.
enum SQLLineage {
    /// - Parameter columnsOf: a table's columns (full name → names), to place bare column names,
    ///   expand `*` and map INSERT positionally; nil when unknown.
    static func links(
        _ statement: String, catalog: String, schema: String, via: LineageNode, origin: String, event: String?,
        columnsOf: (String) async -> [String]?, at: Int64 = Int64(Date().timeIntervalSince1970 * 1000)
    ) async -> [LineageLink] {
        guard let plan = SQLLineagePlan.analyze(statement) else { return [] }
        func qualify(_ parts: [String]) -> String {
            switch parts.count {
            case 1: "\(catalog).\(schema).\(parts[0])"
            case 2: "\(catalog).\(parts[0]).\(parts[1])"
            default: parts.joined(separator: ".")
            }
        }
        let target = qualify(plan.target).lowercased()
        let sourceNames = plan.sources.map { qualify($0.parts).lowercased() }
        var columns: [Int: [String]] = [:]
        for (i, name) in sourceNames.enumerated() { columns[i] = await columnsOf(name) }
        let targetColumns = await columnsOf(target)
        let mapping = plan.columnLineage(columnsOf: { columns[$0] ?? nil }, targetColumns: targetColumns)
        var links: [LineageLink] = []
        var byName: [String: [ColumnMapping]] = [:]
        for (i, name) in sourceNames.enumerated() {
            let m = (mapping[i] ?? []).map { ColumnMapping(target: $0.target, sources: $0.sources) }
            byName[name, default: []] += m
        }
        var seen = Set<String>()
        for name in sourceNames where name != target && seen.insert(name).inserted {
            let merged = Dictionary(grouping: byName[name] ?? [], by: \.target).map { k, v in
                ColumnMapping(target: k, sources: Array(NSOrderedSet(array: v.flatMap(\.sources))) as? [String] ?? [])
            }.sorted { $0.target < $1.target }
            links.append(LineageLink(.table(name), .table(target), via: via, origin: origin, event: event, columns: merged, recordedAt: at))
        }
        return links
    }
}
