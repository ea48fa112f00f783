import Foundation
import IngotCatalog
import IngotCore
import IngotIdentity

/// What a caller may see of a lineage graph: each node is checked against the object it stands for
/// (a table's SELECT, a volume's READ VOLUME, a run's experiment, a model's CAN_READ, an endpoint's, pipeline's or job's
/// CAN_VIEW). Hidden nodes are redacted: their type stays, their name, attributes and column
/// mappings go. Administrators (and every caller with auth off) see everything.
struct LineageVisibility: Sendable {
    let caller: Principal
    let authorizer: ACLAuthorizer

    func check(_ type: String, _ id: String, _ privilege: String) async -> Bool {
        (try? await authorizer.check(caller, AccessRequest(objectType: type, objectID: id, privilege: privilege))) ?? false
    }

    /// The keys of the nodes the caller may see.
    func visible(_ graph: LineageGraph) async -> Set<String> {
        if caller.isAdmin { return Set(graph.nodes.map(\.key)) }
        var shown = Set<String>()
        var files: [LineageNode] = []
        for n in graph.nodes {
            let attrs = graph.attributes[n.key] ?? [:]
            let ok: Bool
            switch n.type {
            case .table: ok = await check("uc:table", n.name, "SELECT")
            case .pipeline: ok = await check(ACLObjectType.pipelines.rawValue, n.name, "CAN_VIEW")
            case .job: ok = await check(ACLObjectType.jobs.rawValue, n.name, "CAN_VIEW")
            case .mlflowRun: ok = await attrs["experiment_id"].asyncMap { await check(ACLObjectType.experiments.rawValue, $0, "CAN_READ") } ?? false
            case .modelVersion:
                let model = n.name.split(separator: "/").dropLast().joined(separator: "/")
                ok = await check(ACLObjectType.registeredModels.rawValue, model, "CAN_READ")
            case .servingEndpoint: ok = await check(ACLObjectType.servingEndpoints.rawValue, n.name, "CAN_VIEW")
            case .sqlStatement: ok = attrs["submitted_by"] == caller.name
            case .externalDataset, .externalJob: ok = true
            case .volume: ok = await check("uc:table", n.name, "READ VOLUME")
            case .file:
                files.append(n)
                continue
            }
            if ok { shown.insert(n.key) }
        }
        // A file is shown to whoever may see a process that read it or the table it flowed into.
        for f in files {
            let seen = graph.links.contains { l in
                l.source == f && (l.via.map { shown.contains($0.key) } ?? false || shown.contains(l.target.key) && l.target.type == .table)
            }
            if seen { shown.insert(f.key) }
        }
        return shown
    }
}

extension Optional {
    func asyncMap<T>(_ f: (Wrapped) async -> T) async -> T? {
        guard let v = self else { return nil }
        return await f(v)
    }
}
