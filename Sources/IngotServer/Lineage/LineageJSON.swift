import Foundation
import IngotCatalog
import IngotCore

/// JSON shapes of the lineage graph. Hidden nodes become `{"id": "redacted-N", "type": …,
/// "redacted": true}`: no name, attributes or column names of theirs leave the server.
enum LineageJSON {
    static func iso(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    /// Ids for the response: a visible node's key, a hidden node's `redacted-N`.
    struct Ids {
        var map: [String: String] = [:]
        var count = 0
        mutating func id(_ n: LineageNode, _ visible: Set<String>) -> String {
            if visible.contains(n.key) { return n.key }
            if let id = map[n.key] { return id }
            count += 1
            map[n.key] = "redacted-\(count)"
            return "redacted-\(count)"
        }
    }

    static func graph(_ g: LineageGraph, visible: Set<String>, caller: Principal) -> [String: Any] {
        var ids = Ids()
        var nodes: [[String: Any]] = []
        for n in g.nodes {
            let id = ids.id(n, visible)
            guard visible.contains(n.key) else {
                nodes.append(["id": id, "type": n.type.rawValue, "redacted": true])
                continue
            }
            var o: [String: Any] = ["id": id, "type": n.type.rawValue, "name": n.name, "redacted": false]
            var attrs = g.attributes[n.key] ?? [:]
            if n.type == .sqlStatement, !(caller.isAdmin || attrs["submitted_by"] == caller.name) { attrs["text"] = nil }
            if let d = attrs.removeValue(forKey: "display_name") { o["display_name"] = d }
            if !attrs.isEmpty { o["attributes"] = attrs }
            if n.type.isProcess { o["process"] = true }
            nodes.append(o)
        }
        var edges: [[String: Any]] = []
        for l in g.links {
            var e: [String: Any] = [
                "source": ids.id(l.source, visible), "target": ids.id(l.target, visible), "origin": l.origin, "recorded_at": l.recordedAt,
            ]
            if let via = l.via { e["via"] = ids.id(via, visible) }
            if let ev = l.event, visible.contains(l.target.key), visible.contains(l.source.key) { e["event"] = ev }
            if !l.columns.isEmpty, visible.contains(l.source.key), visible.contains(l.target.key) {
                e["columns"] = l.columns.map { ["target": $0.target, "sources": $0.sources] as [String: Any] }
            }
            edges.append(e)
        }
        return ["root": ids.id(g.root, visible), "nodes": nodes, "edges": edges]
    }

    static func tableInfo(_ name: String, at: Int64) -> [String: Any] {
        let parts = name.split(separator: ".", maxSplits: 2).map(String.init)
        return [
            "name": parts.last ?? name, "catalog_name": parts.count == 3 ? parts[0] : "", "schema_name": parts.count == 3 ? parts[1] : "",
            "table_type": "TABLE", "lineage_timestamp": iso(at),
        ]
    }

    /// One `upstreams`/`downstreams` entry per neighbour, with the processes that linked it.
    static func databricksTableLineage(_ g: LineageGraph, visible: Set<String>, includeEntities: Bool) -> [String: Any] {
        func side(_ upstream: Bool) -> [[String: Any]] {
            var order: [LineageNode] = []
            var byNode: [String: [LineageLink]] = [:]
            for l in g.links {
                let near = upstream ? l.target : l.source, far = upstream ? l.source : l.target
                guard near == g.root, far != g.root else { continue }
                if byNode[far.key] == nil { order.append(far) }
                byNode[far.key, default: []].append(l)
            }
            var out: [[String: Any]] = []
            for n in order {
                let links = byNode[n.key] ?? []
                let at = links.map(\.recordedAt).max() ?? 0
                var o: [String: Any] = [:]
                let shown = visible.contains(n.key)
                switch n.type {
                case .table:
                    guard shown else { continue }  // Databricks omits tables the caller cannot see
                    o["tableInfo"] = tableInfo(n.name, at: at)
                case .file:
                    o["fileInfo"] = shown ? ["path": n.name, "has_permission": true, "lineage_timestamp": iso(at)] : ["has_permission": false]
                case .volume:
                    let path = g.attributes[n.key]?["path"] ?? "/Volumes/" + n.name.replacingOccurrences(of: ".", with: "/")
                    o["fileInfo"] = shown ? ["path": path, "securable_type": "VOLUME", "securable_name": n.name, "has_permission": true, "lineage_timestamp": iso(at)]
                        : ["has_permission": false]
                default:
                    guard includeEntities, shown else { continue }
                    switch n.type {
                    case .mlflowRun: o["mlflowRunInfo"] = ["run_id": n.name, "lineage_timestamp": iso(at)]
                    case .modelVersion:
                        let parts = n.name.split(separator: "/")
                        o["modelVersionInfo"] = ["model_name": parts.dropLast().joined(separator: "/"), "version": String(parts.last ?? ""), "lineage_timestamp": iso(at)]
                    case .servingEndpoint: o["servingEndpointInfo"] = ["name": n.name, "lineage_timestamp": iso(at)]
                    case .externalDataset: o["externalDatasetInfo"] = ["name": n.name, "lineage_timestamp": iso(at)]
                    default: continue
                    }
                }
                var pipelines: [[String: Any]] = [], jobs: [[String: Any]] = [], queries: [[String: Any]] = [], external: [[String: Any]] = []
                for l in links {
                    guard let via = l.via, visible.contains(via.key) else { continue }
                    switch via.type {
                    case .pipeline:
                        var p: [String: Any] = ["pipeline_id": via.name]
                        if let u = l.event { p["update_id"] = u }
                        p["dataset_name"] = (upstream ? g.root : n).name.split(separator: ".").last.map(String.init) ?? ""
                        pipelines.append(p)
                        // Jobs that run this pipeline.
                        for j in g.links where j.target == via && j.source.type == .job && visible.contains(j.source.key) {
                            jobs.append(["job_id": Int64(j.source.name) ?? 0, "workspace_id": 0, "task_key": j.event ?? ""])
                        }
                    case .job: jobs.append(["job_id": Int64(via.name) ?? 0, "workspace_id": 0, "task_key": l.event ?? ""])
                    case .sqlStatement: queries.append(["query_id": via.name, "workspace_id": 0])
                    case .externalJob: external.append(["name": via.name])
                    default: break
                    }
                }
                if !pipelines.isEmpty { o["pipelineInfos"] = pipelines }
                if !jobs.isEmpty { o["jobInfos"] = jobs }
                if !queries.isEmpty { o["queryInfos"] = queries }
                if !external.isEmpty { o["externalJobInfos"] = external }
                out.append(o)
            }
            return out
        }
        return ["upstreams": side(true), "downstreams": side(false)]
    }

    /// `upstream_cols` / `downstream_cols` of one column.
    static func databricksColumnLineage(_ g: LineageGraph, column: String, visible: Set<String>) -> [String: Any] {
        var up: [[String: Any]] = [], down: [[String: Any]] = []
        var seen = Set<String>()
        func entry(_ n: LineageNode, _ col: String, _ at: Int64) -> [String: Any] {
            var o = tableInfo(n.name, at: at)
            o["table_name"] = o["name"]
            o["name"] = col
            if n.type != .table { o = ["name": col, "path": n.name, "lineage_timestamp": iso(at)] }
            return o
        }
        for l in g.links where visible.contains(l.source.key) && visible.contains(l.target.key) {
            if l.target == g.root {
                for m in l.columns where m.target.lowercased() == column.lowercased() {
                    for s in m.sources where seen.insert("u\(l.source.key).\(s)").inserted { up.append(entry(l.source, s, l.recordedAt)) }
                }
            }
            if l.source == g.root {
                for m in l.columns where m.sources.contains(where: { $0.lowercased() == column.lowercased() }) {
                    if seen.insert("d\(l.target.key).\(m.target)").inserted { down.append(entry(l.target, m.target, l.recordedAt)) }
                }
            }
        }
        return ["upstream_cols": up, "downstream_cols": down]
    }
}
