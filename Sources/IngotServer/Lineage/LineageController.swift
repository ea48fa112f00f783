import Foundation
import HTTPTypes
import Hummingbird
import IngotCatalog
import IngotCore
import IngotIdentity

/// The lineage graph over REST: Ingot's own graph walk (`/api/2.0/ingot/lineage`), Databricks'
/// table and column lineage (`/api/2.0/lineage-tracking/*`) and OpenLineage ingestion (`/api/v1/lineage`).
struct LineageController {
    let lineage: LineageService
    let authorizer: ACLAuthorizer

    func addRoutes(to router: Router<IngotRequestContext>) {
        router.get("/api/2.0/ingot/lineage") { request, context in try await graph(request, context) }
        router.get("/api/2.0/lineage-tracking/table-lineage") { request, context in try await tableLineage(request, context) }
        router.get("/api/2.0/lineage-tracking/column-lineage") { request, context in try await columnLineage(request, context) }
        router.post("/api/v1/lineage") { request, context in
            let buffer = try await request.body.collect(upTo: context.maxBodyBytes)
            let event = try OpenLineageEvent.parse(Data(buffer: buffer))
            let links = try await lineage.ingest(event)
            return try Self.json(["links_recorded": links.count], status: .created)
        }
    }

    static func query(_ request: Request, _ key: String) -> String? {
        request.uri.queryParameters.get(key).map { String($0) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The node a request names: `node_type` + `name` (a table by default).
    func node(_ request: Request) async throws -> LineageNode {
        guard let name = Self.query(request, "name") ?? Self.query(request, "table_name") else {
            throw IngotFailure(.invalidParameterValue, "name is required")
        }
        let typeText = Self.query(request, "node_type") ?? "table"
        guard let type = LineageNodeType(rawValue: typeText) else {
            throw IngotFailure(.invalidParameterValue, "node_type must be one of \(LineageNodeType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if type == .file { return await lineage.pathNode(name) }
        return LineageNode(type, name)
    }

    /// A graph the caller may see, or 404 when the root itself is hidden or unknown.
    func visibleGraph(_ root: LineageNode, _ direction: LineageDirection, _ depth: Int, _ context: IngotRequestContext) async throws
        -> (LineageGraph, Set<String>)
    {
        let g = try await lineage.graph(from: root, direction: direction, depth: depth)
        let shown = await LineageVisibility(caller: context.principal, authorizer: authorizer).visible(g)
        let exists: Bool
        if g.links.isEmpty {
            exists = root.type == .table ? await lineage.existingTable(root.name) != nil : try await lineage.store.knows(root)
        } else {
            exists = true
        }
        guard exists, shown.contains(root.key) else {
            throw IngotFailure(.resourceDoesNotExist, "\(root.type.rawValue) '\(root.name)' does not exist or has no lineage you can see")
        }
        return (g, shown)
    }

    func graph(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let root = try await node(request)
        let directionText = Self.query(request, "direction") ?? "both"
        guard let direction = LineageDirection(rawValue: directionText.lowercased()) else {
            throw IngotFailure(.invalidParameterValue, "direction must be upstream, downstream or both")
        }
        let depthText = Self.query(request, "depth") ?? "3"
        guard let depth = Int(depthText), (1...50).contains(depth) else { throw IngotFailure(.invalidParameterValue, "depth must be an integer from 1 to 50") }
        let (g, shown) = try await visibleGraph(root, direction, depth, context)
        return try Self.json(LineageJSON.graph(g, visible: shown, caller: context.principal))
    }

    func tableName(_ request: Request) async throws -> LineageNode {
        guard let name = Self.query(request, "table_name") else { throw IngotFailure(.invalidParameterValue, "table_name is required") }
        return .table(name)
    }

    /// Databricks' table lineage: the nearest tables and files upstream and downstream, each with the
    /// pipelines, jobs and statements that linked them; with `include_entity_lineage=true` also runs,
    /// model versions, endpoints and external datasets.
    func tableLineage(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let root = try await tableName(request)
        let entities = Self.query(request, "include_entity_lineage").map { $0.lowercased() == "true" } ?? false
        var (g, shown) = try await visibleGraph(root, .both, 1, context)
        // The jobs that run the pipelines which linked the neighbours.
        let pipelines = Set(g.links.compactMap(\.via).filter { $0.type == .pipeline }.map(\.key))
        let jobLinks = try await lineage.store.links(touching: Array(pipelines), upstream: true).filter { $0.source.type == .job && pipelines.contains($0.target.key) }
        if !jobLinks.isEmpty {
            let extra = LineageGraph(root: root, nodes: jobLinks.map(\.source), links: jobLinks, attributes: [:])
            shown.formUnion(await LineageVisibility(caller: context.principal, authorizer: authorizer).visible(extra))
            g.links += jobLinks
        }
        return try Self.json(LineageJSON.databricksTableLineage(g, visible: shown, includeEntities: entities))
    }

    /// Databricks' column lineage: the columns that one column of a table is computed from, and the
    /// columns computed from it.
    func columnLineage(_ request: Request, _ context: IngotRequestContext) async throws -> Response {
        let root = try await tableName(request)
        guard let column = Self.query(request, "column_name") else { throw IngotFailure(.invalidParameterValue, "column_name is required") }
        let (g, shown) = try await visibleGraph(root, .both, 1, context)
        return try Self.json(LineageJSON.databricksColumnLineage(g, column: column, visible: shown))
    }

    static func json(_ value: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
