import Foundation

/// What a lineage node stands for. Data nodes (files, tables, runs, model versions, endpoints,
/// external datasets) are joined by edges; process nodes (pipelines, jobs, SQL statements, external
/// jobs) are what produced an edge (its `via`), and a job also links to the pipelines it runs.
public enum LineageNodeType: String, Sendable, Codable, CaseIterable {
    case file, volume, table, pipeline, job
    case sqlStatement = "sql_statement"
    case mlflowRun = "mlflow_run"
    case modelVersion = "model_version"
    case servingEndpoint = "serving_endpoint"
    case externalDataset = "external_dataset"
    case externalJob = "external_job"

    /// Process nodes: they appear as an edge's `via`, not as its ends (except job → pipeline).
    public var isProcess: Bool { [.pipeline, .job, .sqlStatement, .externalJob].contains(self) }
    /// Names compared case-insensitively (Unity Catalog names).
    var foldsCase: Bool { self == .table }
}

/// One node: a type and a name (`main.gold.x`, `/data/volumes/.../a.csv`, `model/3`, a run id).
public struct LineageNode: Sendable, Hashable, Codable, CustomStringConvertible {
    public var type: LineageNodeType
    public var name: String

    public init(_ type: LineageNodeType, _ name: String) {
        self.type = type
        self.name = type.foldsCase ? name.lowercased() : name
    }

    /// The stored key: `type:name`.
    public var key: String { "\(type.rawValue):\(name)" }
    public var description: String { key }

    public init?(key: String) {
        guard let colon = key.firstIndex(of: ":"), let type = LineageNodeType(rawValue: String(key[..<colon])) else { return nil }
        self.init(type, String(key[key.index(after: colon)...]))
    }

    public static func table(_ name: String) -> LineageNode { LineageNode(.table, name) }
    public static func modelVersion(_ model: String, _ version: String) -> LineageNode { LineageNode(.modelVersion, "\(model)/\(version)") }
}

/// Column-level lineage of one edge: a column of the edge's target computed from columns of its source.
public struct ColumnMapping: Sendable, Hashable, Codable {
    public var target: String
    public var sources: [String]

    public init(target: String, sources: [String]) {
        self.target = target
        self.sources = sources
    }
}

/// One lineage edge: `source` flowed into `target` (a table read into a table, a table into a run, a
/// run into a model version, a model version into an endpoint), produced by `via` (a pipeline, job,
/// SQL statement or external job) in `event` (an update id, statement id, run id).
public struct LineageLink: Sendable, Hashable, Codable {
    public var source: LineageNode
    public var target: LineageNode
    public var via: LineageNode?
    /// Which feed recorded it: `pipeline`, `sql`, `job`, `tracking`, `registry`, `serving`, `openlineage`.
    public var origin: String
    public var event: String?
    public var columns: [ColumnMapping]
    public var recordedAt: Int64

    public init(_ source: LineageNode, _ target: LineageNode, via: LineageNode? = nil, origin: String, event: String? = nil,
                columns: [ColumnMapping] = [], recordedAt: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) {
        self.source = source
        self.target = target
        self.via = via
        self.origin = origin
        self.event = event
        self.columns = columns
        self.recordedAt = recordedAt
    }
}

/// Which way to walk from a node.
public enum LineageDirection: String, Sendable, Codable, CaseIterable {
    case upstream, downstream, both
}

/// The part of the graph reached from one node.
public struct LineageGraph: Sendable {
    public var root: LineageNode
    public var nodes: [LineageNode]
    public var links: [LineageLink]
    /// Extra facts per node key (an external dataset's namespace, a statement's text, a job's name).
    public var attributes: [String: [String: String]]

    public init(root: LineageNode, nodes: [LineageNode], links: [LineageLink], attributes: [String: [String: String]] = [:]) {
        self.root = root
        self.nodes = nodes
        self.links = links
        self.attributes = attributes
    }
}

/// The live feeds of lineage that other modules hold (pipeline runs, jobs, tracking runs, registry
/// versions, served entities): each returns every link it currently knows, and the service replaces
/// that origin's links with them. Declared here, implemented in the composition root.
public protocol LineageFeed: Sendable {
    var origin: String { get }
    func currentLinks() async throws -> [LineageLink]
    /// Display facts per node key (a pipeline's or job's name, a run's experiment).
    func currentAttributes() async throws -> [String: [String: String]]
}

extension LineageFeed {
    public func currentAttributes() async throws -> [String: [String: String]] { [:] }
}
