import Foundation
import IngotCore

/// The lineage graph from raw file to served prediction: the store, the live feeds of the other
/// modules, and the names that map outside references (paths, dataset sources, OpenLineage datasets)
/// onto catalog tables.
public struct LineageService: Sendable {
    public let store: LineageStore
    public let tables: TableService
    public let feeds: [any LineageFeed]

    public init(store: LineageStore, tables: TableService, feeds: [any LineageFeed] = []) {
        self.store = store
        self.tables = tables
        self.feeds = feeds
    }

    /// A copy with more feeds (the composition root adds them once every module is built).
    public func adding(_ more: [any LineageFeed]) -> LineageService {
        LineageService(store: store, tables: tables, feeds: feeds + more)
    }

    /// Brings each feed's links up to date. A failing feed keeps its previous links.
    public func refresh() async {
        for feed in feeds {
            guard let links = try? await feed.currentLinks() else { continue }
            let attributes = (try? await feed.currentAttributes()) ?? [:]
            try? await store.replace(origin: feed.origin, with: links, attributes: attributes)
        }
    }

    /// Records links of an event (a SQL statement, an OpenLineage event).
    public func record(_ links: [LineageLink], attributes: [String: [String: String]] = [:]) async throws {
        try await store.record(links, attributes: attributes)
    }

    /// Walks from `root` up to `depth` links in `direction`. Process nodes (pipelines, jobs,
    /// statements) are walked through only from the root; otherwise they label the links they produced.
    public func graph(from root: LineageNode, direction: LineageDirection, depth: Int, refreshFirst: Bool = true) async throws -> LineageGraph {
        if refreshFirst { await refresh() }
        var links: [LineageLink] = []
        var seenLinks = Set<String>()
        var nodes: [LineageNode] = [root]
        var seenNodes: Set<String> = [root.key]
        for upstream in direction == .both ? [true, false] : [direction == .upstream] {
            var frontier = [root.key]
            var visited: Set<String> = [root.key]
            var level = 0
            while !frontier.isEmpty, level < depth {
                level += 1
                var next: [String] = []
                let current = Set(frontier)
                for l in try await store.links(touching: frontier, upstream: upstream) {
                    // A link continues the walk when its near end is in the frontier, or when a process
                    // in the frontier (the root pipeline, or one a job runs) produced it.
                    let near = upstream ? l.target : l.source, far = upstream ? l.source : l.target
                    guard current.contains(near.key) || l.via.map({ current.contains($0.key) }) == true else { continue }
                    let id = "\(l.origin)|\(l.source.key)|\(l.target.key)|\(l.via?.key ?? "")"
                    if seenLinks.insert(id).inserted { links.append(l) }
                    for n in [l.source, l.target] + (l.via.map { [$0] } ?? []) where seenNodes.insert(n.key).inserted { nodes.append(n) }
                    if visited.insert(far.key).inserted { next.append(far.key) }
                }
                frontier = next
            }
        }
        let attributes = try await store.attributes(nodes.map(\.key))
        return LineageGraph(root: root, nodes: nodes, links: links, attributes: attributes)
    }

    // MARK: - Names

    /// A catalog table named `name` (`catalog.schema.table`), if one is registered.
    public func existingTable(_ name: String) async -> LineageNode? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
        guard parts.count == 3, let t = try? TableName(catalog: parts[0], schema: parts[1], table: parts[2]),
            (try? await tables.namespace.tableIfExists(t)) ?? nil != nil
        else { return nil }
        return .table(t.description)
    }

    /// The catalog table whose files hold `path` (a `file://` URI or absolute path in the data
    /// directory, or an object key such as `warehouse/main/gold/x`).
    public func tableAt(path: String) async -> LineageNode? {
        guard let key = try? tables.objectKey(location: path), !key.isEmpty,
            let record = (try? await tables.namespace.tableOverlapping(location: key)) ?? nil,
            record.storageLocation == key || key.hasPrefix(record.storageLocation + "/")
        else { return nil }
        return .table(record.name.description)
    }

    /// A file or folder path: a table's node when it lies in one, else a file node (absolute path).
    public func pathNode(_ raw: String) async -> LineageNode {
        if let t = await tableAt(path: raw) { return t }
        var path = raw
        if path.hasPrefix("file://") { path = String(path.dropFirst(7)) }
        return LineageNode(.file, path)
    }

    /// What an MLflow dataset's source names: `source_type` and the `source` JSON the client sends
    /// (`{"uri": ...}` for local/artifact sources, `{"path": ..., "delta_table_name": ...}` for Delta,
    /// `{"table_name": ...}` for Unity Catalog/Spark tables, `{"url": ...}` for HTTP). An Ingot table
    /// by name or location maps to its table node; other paths to files; anything else to an
    /// external dataset named by its source.
    public func datasetSourceNode(sourceType: String, source: String, name: String) async -> LineageNode {
        let object = (try? JSONSerialization.jsonObject(with: Data(source.utf8))) as? [String: Any] ?? [:]
        var candidates: [String] = []
        for k in ["delta_table_name", "table_name", "table", "uri", "path", "url"] {
            if let v = object[k] as? String, !v.isEmpty { candidates.append(v) }
        }
        if object.isEmpty, !source.isEmpty { candidates.append(source) }
        for c in candidates {
            var n = c
            for prefix in ["uc:", "delta:", "ingot:", "table:"] where n.lowercased().hasPrefix(prefix) { n = String(n.dropFirst(prefix.count)) }
            if !n.contains("/"), let t = await existingTable(n) { return t }
            if n.hasPrefix("/") || n.hasPrefix("file://") || n.hasPrefix("warehouse/") || n.hasPrefix("volumes/") {
                if let t = await tableAt(path: n) { return t }
            }
        }
        if let c = candidates.first, c.hasPrefix("/") || c.hasPrefix("file://") { return await pathNode(c) }
        return LineageNode(.externalDataset, candidates.first.map { "\(sourceType):\($0)" } ?? "\(sourceType):\(name)")
    }

    /// An OpenLineage dataset: a catalog table when its name (`main.gold.x`, or `gold.x` in an
    /// `ingot`/catalog namespace) or its path names one; a file for the `file` namespace; else an
    /// external dataset `namespace/name`.
    public func openLineageDatasetNode(namespace: String, name: String) async -> LineageNode {
        if let t = await existingTable(name) { return t }
        let ns = namespace.hasSuffix("/") ? String(namespace.dropLast()) : namespace
        if let last = ns.split(separator: "/").last, let t = await existingTable("\(last).\(name)") { return t }
        if name.hasPrefix("/") || ns == "file" || ns.hasPrefix("file:") {
            let path = name.hasPrefix("/") ? name : "/" + name
            return await pathNode(path)
        }
        return LineageNode(.externalDataset, "\(ns)/\(name)")
    }
}
