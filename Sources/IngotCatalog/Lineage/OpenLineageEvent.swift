import Foundation

/// An OpenLineage event (spec 2-0-2): a RunEvent (`run` + `job`), a DatasetEvent (`dataset`) or a
/// JobEvent (`job` without `run`), reduced to what the lineage graph keeps. Unknown facets are ignored.
public struct OpenLineageEvent: Sendable, Equatable {
    public enum Kind: String, Sendable { case run, dataset, job }

    public struct Dataset: Sendable, Equatable {
        public var namespace: String
        public var name: String
        /// `columnLineage` facet: output column → input fields (namespace, name, field).
        public var columnLineage: [String: [Field]]
        /// `schema` facet: the dataset's column names.
        public var columns: [String]
    }

    public struct Field: Sendable, Equatable, Hashable {
        public var namespace: String
        public var name: String
        public var field: String
    }

    public var kind: Kind
    public var eventType: String?
    public var eventTime: String
    public var producer: String
    public var runID: String?
    public var job: (namespace: String, name: String)?
    public var inputs: [Dataset]
    public var outputs: [Dataset]

    public static func == (a: Self, b: Self) -> Bool {
        a.kind == b.kind && a.eventType == b.eventType && a.eventTime == b.eventTime && a.producer == b.producer && a.runID == b.runID
            && a.job?.namespace == b.job?.namespace && a.job?.name == b.job?.name && a.inputs == b.inputs && a.outputs == b.outputs
    }

    static let eventTypes: Set<String> = ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]

    /// Parses and validates one event; the error names the offending field.
    public static func parse(_ data: Data) throws -> OpenLineageEvent {
        guard let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any] else {
            throw CatalogError.invalidParameter("the body must be a JSON object (an OpenLineage RunEvent, DatasetEvent or JobEvent)")
        }
        func string(_ o: [String: Any], _ key: String, _ path: String) throws -> String {
            guard let v = o[key] as? String, !v.isEmpty else { throw CatalogError.invalidParameter("\(path) is required (a non-empty string)") }
            return v
        }
        let eventTime = try string(root, "eventTime", "eventTime")
        guard ISO8601DateFormatter.lenientDate(eventTime) != nil else {
            throw CatalogError.invalidParameter("eventTime '\(eventTime)' is not an ISO 8601 date-time")
        }
        let producer = try string(root, "producer", "producer")
        guard root["schemaURL"] == nil || root["schemaURL"] is String else { throw CatalogError.invalidParameter("schemaURL must be a string") }
        var event = OpenLineageEvent(kind: .job, eventType: nil, eventTime: eventTime, producer: producer, runID: nil, job: nil, inputs: [], outputs: [])
        if let dataset = root["dataset"] {
            guard let d = dataset as? [String: Any] else { throw CatalogError.invalidParameter("dataset must be an object") }
            event.kind = .dataset
            event.outputs = [try parseDataset(d, "dataset")]
            return event
        }
        guard let job = root["job"] as? [String: Any] else {
            throw CatalogError.invalidParameter("job is required (a RunEvent or JobEvent), or dataset (a DatasetEvent)")
        }
        event.job = (try string(job, "namespace", "job.namespace"), try string(job, "name", "job.name"))
        if let run = root["run"] {
            guard let r = run as? [String: Any] else { throw CatalogError.invalidParameter("run must be an object") }
            event.kind = .run
            let id = try string(r, "runId", "run.runId")
            guard UUID(uuidString: id) != nil else { throw CatalogError.invalidParameter("run.runId '\(id)' is not a UUID") }
            event.runID = id
            if let t = root["eventType"] {
                guard let s = t as? String, eventTypes.contains(s) else {
                    throw CatalogError.invalidParameter("eventType must be one of \(eventTypes.sorted().joined(separator: ", "))")
                }
                event.eventType = s
            }
        }
        for (key, path) in [("inputs", "inputs"), ("outputs", "outputs")] {
            guard let raw = root[key], !(raw is NSNull) else { continue }
            guard let list = raw as? [Any] else { throw CatalogError.invalidParameter("\(path) must be an array") }
            let parsed = try list.enumerated().map { i, d -> Dataset in
                guard let o = d as? [String: Any] else { throw CatalogError.invalidParameter("\(path)[\(i)] must be an object") }
                return try parseDataset(o, "\(path)[\(i)]")
            }
            if key == "inputs" { event.inputs = parsed } else { event.outputs = parsed }
        }
        return event
    }

    static func parseDataset(_ o: [String: Any], _ path: String) throws -> Dataset {
        guard let ns = o["namespace"] as? String, !ns.isEmpty else { throw CatalogError.invalidParameter("\(path).namespace is required") }
        guard let name = o["name"] as? String, !name.isEmpty else { throw CatalogError.invalidParameter("\(path).name is required") }
        var lineage: [String: [Field]] = [:]
        var columns: [String] = []
        let facets = o["facets"] as? [String: Any] ?? [:]
        if let schema = facets["schema"] as? [String: Any], let fields = schema["fields"] as? [[String: Any]] {
            columns = fields.compactMap { $0["name"] as? String }
        }
        if let cl = facets["columnLineage"] {
            guard let c = cl as? [String: Any], let fields = c["fields"] as? [String: Any] else {
                throw CatalogError.invalidParameter("\(path).facets.columnLineage.fields must be an object")
            }
            for (column, spec) in fields {
                guard let s = spec as? [String: Any], let inputs = s["inputFields"] as? [Any] else {
                    throw CatalogError.invalidParameter("\(path).facets.columnLineage.fields.\(column).inputFields must be an array")
                }
                lineage[column] = try inputs.enumerated().map { i, f in
                    let p = "\(path).facets.columnLineage.fields.\(column).inputFields[\(i)]"
                    guard let f = f as? [String: Any], let n = f["namespace"] as? String, let nm = f["name"] as? String, let fld = f["field"] as? String,
                        !n.isEmpty, !nm.isEmpty, !fld.isEmpty
                    else { throw CatalogError.invalidParameter("\(p) needs namespace, name and field") }
                    return Field(namespace: n, name: nm, field: fld)
                }
            }
        }
        return Dataset(namespace: ns, name: name, columnLineage: lineage, columns: columns)
    }
}

extension ISO8601DateFormatter {
    /// Parses ISO 8601 with or without fractional seconds.
    static func lenientDate(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }
}

extension LineageService {
    /// Records an OpenLineage event: every input flows into every output through the event's job
    /// (an `external_job` node `namespace/name`), with the outputs' column lineage on the matching
    /// links. A DatasetEvent records the dataset (and the inputs its column lineage names).
    @discardableResult
    public func ingest(_ event: OpenLineageEvent) async throws -> [LineageLink] {
        let at = ISO8601DateFormatter.lenientDate(event.eventTime).map { Int64($0.timeIntervalSince1970 * 1000) } ?? Int64(Date().timeIntervalSince1970 * 1000)
        let via = event.job.map { LineageNode(.externalJob, "\($0.namespace)/\($0.name)") }
        var attributes: [String: [String: String]] = [:]
        var cache: [String: LineageNode] = [:]
        func node(_ ns: String, _ name: String) async -> LineageNode {
            if let n = cache["\(ns)\u{1}\(name)"] { return n }
            let n = await openLineageDatasetNode(namespace: ns, name: name)
            cache["\(ns)\u{1}\(name)"] = n
            if n.type == .externalDataset { attributes[n.key, default: [:]].merge(["namespace": ns, "name": name]) { $1 } }
            return n
        }
        var inputs: [LineageNode] = []
        for d in event.inputs { inputs.append(await node(d.namespace, d.name)) }
        var links: [LineageLink] = []
        for out in event.outputs {
            let target = await node(out.namespace, out.name)
            if !out.columns.isEmpty, target.type == .externalDataset { attributes[target.key, default: [:]]["columns"] = out.columns.joined(separator: ",") }
            // Column lineage grouped by input dataset.
            var byInput: [String: (LineageNode, [String: [String]])] = [:]
            for (column, fields) in out.columnLineage {
                for f in fields {
                    let n = await node(f.namespace, f.name)
                    var entry = byInput[n.key] ?? (n, [:])
                    entry.1[column, default: []].append(f.field)
                    byInput[n.key] = entry
                }
            }
            var sources = inputs
            for (_, (n, _)) in byInput where !sources.contains(n) { sources.append(n) }
            for s in sources where s != target {
                let columns = (byInput[s.key]?.1 ?? [:]).sorted { $0.key < $1.key }.map { ColumnMapping(target: $0.key, sources: $0.value) }
                links.append(LineageLink(s, target, via: via, origin: "openlineage", event: event.runID, columns: columns, recordedAt: at))
            }
        }
        if let via, let job = event.job {
            var a = ["namespace": job.namespace, "name": job.name, "producer": event.producer]
            if let t = event.eventType { a["last_event_type"] = t }
            if let r = event.runID { a["last_run_id"] = r }
            attributes[via.key, default: [:]].merge(a) { $1 }
        }
        try await record(links, attributes: attributes)
        return links
    }
}
