import Foundation
import IngotCore
import Yams

/// `pipeline.yaml`: Databricks' setting names (`name`, `catalog`, `schema`, `configuration`,
/// `continuous`, `event_log`, `notifications`) plus Ingot's `schedule` (PipelineSchedule.swift),
/// `engine` (PipelineEngine.swift) and `max_parallel_datasets`.
public struct PipelineSettings: Sendable, Equatable, Codable {
    public var name: String
    public var catalog: String
    public var schema: String
    public var configuration: [String: String]
    /// Quartz cron expression of the schedule (PipelineSchedule.swift).
    public var schedule: String?
    /// The schedule's time zone (`timezone_id`, default UTC).
    public var scheduleTimezone: String?
    /// `pause_status: PAUSED` stops scheduled updates.
    public var schedulePaused: Bool?
    public var engine: String?
    /// A summary of the notification rules (recipients and webhook URLs), kept for older readers.
    public var notifications: [String]
    /// Databricks' `notifications` (PipelineNotifications.swift). Optional so older settings decode.
    public var notificationRules: [PipelineNotificationRule]?
    /// Databricks' `continuous`: the update keeps running, processing new files as micro-batches.
    /// Optional so that settings stored before it existed still decode.
    public var continuous: Bool?
    /// Databricks' `event_log: {name, catalog, schema}`: the table the event log is appended to.
    public var eventLog: EventLogSettings?
    /// Most datasets run at once (independent ones run in parallel); default 4.
    public var maxParallelDatasets: Int?

    public var isContinuous: Bool { continuous ?? false }
    public var parallelLimit: Int { max(1, maxParallelDatasets ?? 4) }
    /// The event-log table: `event_log` when given, else `event_log_<name>` in the pipeline's schema.
    public var eventLogTable: [String] {
        [eventLog?.catalog ?? catalog, eventLog?.schema ?? schema,
         eventLog?.name ?? "event_log_" + name.replacingOccurrences(of: "-", with: "_")]
    }
    /// Continuous mode's poll interval: `configuration["pipelines.trigger.interval"]` (Databricks'
    /// key: "5 seconds", "500 ms", "1 minute", a number of seconds), default 1 second.
    public var triggerIntervalMillis: Int64 {
        Self.parseInterval(configuration["pipelines.trigger.interval"]) ?? 1000
    }

    public static func parseInterval(_ text: String?) -> Int64? {
        guard let t = text?.trimmingCharacters(in: .whitespaces).lowercased(), !t.isEmpty else { return nil }
        let digits = t.prefix { $0.isNumber || $0 == "." }
        guard let n = Double(digits), n >= 0 else { return nil }
        let unit = t.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        let factor: Double
        switch unit {
        case "", "s", "sec", "secs", "second", "seconds": factor = 1000
        case "ms", "millisecond", "milliseconds": factor = 1
        case "m", "min", "mins", "minute", "minutes": factor = 60_000
        case "h", "hour", "hours": factor = 3_600_000
        default: return nil
        }
        return max(100, Int64(n * factor))
    }

    public init(name: String, catalog: String = "main", schema: String = "default", configuration: [String: String] = [:]) {
        self.name = name
        self.catalog = catalog
        self.schema = schema
        self.configuration = configuration
        notifications = []
    }

    public static func parse(yaml text: String, file: String = "pipeline.yaml") throws -> PipelineSettings {
        let loaded: Any?
        do { loaded = try Yams.load(yaml: text) } catch { throw PipelineError("\(file): invalid YAML: \(error)") }
        guard let map = loaded as? [String: Any] else { throw PipelineError("\(file): expected a mapping of settings") }
        let known: Set<String> = ["name", "catalog", "schema", "target", "configuration", "schedule", "engine", "notifications", "libraries", "development",
                                  "continuous", "channel", "edition", "event_log", "max_parallel_datasets"]
        for key in map.keys where !known.contains(key) { throw PipelineError("\(file): unknown setting '\(key)'") }
        func string(_ key: String) throws -> String? {
            guard let v = map[key] else { return nil }
            if let s = v as? String { return s }
            if let n = v as? Int { return String(n) }
            throw PipelineError("\(file): '\(key)' must be a string")
        }
        guard let name = try string("name"), !name.isEmpty else { throw PipelineError("\(file): 'name' is required") }
        var s = PipelineSettings(name: name, catalog: try string("catalog") ?? "main", schema: try string("schema") ?? string("target") ?? "default")
        if let conf = map["configuration"] {
            guard let dict = conf as? [String: Any] else { throw PipelineError("\(file): 'configuration' must be a mapping") }
            for (k, v) in dict { s.configuration[k] = "\(v)" }
        }
        if let sched = map["schedule"] { try s.parseSchedule(sched, file: file) }
        s.engine = try string("engine")
        if let n = map["notifications"] {
            s.notificationRules = try PipelineNotificationRule.parse(n, file: file)
            s.notifications = (s.notificationRules ?? []).flatMap { $0.emailRecipients + $0.webhookURLs }
        }
        if let c = map["continuous"] {
            guard let b = c as? Bool else { throw PipelineError("\(file): 'continuous' must be true or false") }
            s.continuous = b
        }
        if let n = map["max_parallel_datasets"] {
            guard let i = n as? Int, i >= 1 else { throw PipelineError("\(file): 'max_parallel_datasets' must be a positive integer") }
            s.maxParallelDatasets = i
        }
        if let e = map["event_log"] {
            guard let m = e as? [String: Any] else { throw PipelineError("\(file): 'event_log' must be a mapping of name, catalog, schema") }
            for k in m.keys where !["name", "catalog", "schema"].contains(k) { throw PipelineError("\(file): unknown event_log setting '\(k)'") }
            guard let name = m["name"] as? String, !name.isEmpty else { throw PipelineError("\(file): 'event_log.name' is required") }
            s.eventLog = EventLogSettings(name: name, catalog: m["catalog"].map { "\($0)" }, schema: m["schema"].map { "\($0)" })
        }
        if let t = s.configuration["pipelines.trigger.interval"], parseInterval(t) == nil {
            throw PipelineError("\(file): configuration 'pipelines.trigger.interval' must be like '5 seconds' or '500 ms': '\(t)'")
        }
        var labelled = [("name", s.name), ("catalog", s.catalog), ("schema", s.schema)]
        if let e = s.eventLog { labelled += [("event_log.name", e.name), ("event_log.catalog", e.catalog ?? s.catalog), ("event_log.schema", e.schema ?? s.schema)] }
        for (label, value) in labelled {
            guard !value.isEmpty, value.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw PipelineError("\(file): '\(label)' must be letters, digits, _ or -: '\(value)'")
            }
        }
        return s
    }
}

/// Databricks' `event_log` setting.
public struct EventLogSettings: Sendable, Equatable, Codable {
    public var name: String
    public var catalog: String?
    public var schema: String?
    public init(name: String, catalog: String? = nil, schema: String? = nil) {
        self.name = name
        self.catalog = catalog
        self.schema = schema
    }
}

/// A loaded pipeline: settings, datasets in run order, and the dependency edges.
public struct PipelineDefinition: Sendable {
    public var directory: URL
    public var settings: PipelineSettings
    /// Datasets in topological order (dependencies first; otherwise file order).
    public var datasets: [PipelineDataset]
    /// Dataset name (lower-case) → names of the pipeline datasets it reads.
    public var dependencies: [String: [String]]
    /// Fully qualified names of tables outside the pipeline that it reads.
    public var externalTables: [[String]]

    public func dataset(_ name: String) -> PipelineDataset? { datasets.first { $0.name.lowercased() == name.lowercased() } }

    /// Loads `pipeline.yaml` (or `pipeline.yml`) and every `*.sql` file of a folder (sorted by
    /// relative path, recursively) and checks names, references and cycles.
    public static func load(directory: URL) throws -> PipelineDefinition {
        let dir = directory.standardizedFileURL
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else { throw PipelineError(.resourceDoesNotExist, "\(dir.path) is not a directory") }
        let yamlURL = ["pipeline.yaml", "pipeline.yml"].map { dir.appendingPathComponent($0) }.first { fm.fileExists(atPath: $0.path) }
        guard let yamlURL else { throw PipelineError("\(dir.path): no pipeline.yaml") }
        let settings = try PipelineSettings.parse(yaml: try String(contentsOf: yamlURL, encoding: .utf8), file: yamlURL.lastPathComponent)
        var files: [String] = []
        if let e = fm.enumerator(atPath: dir.path) {
            while let rel = e.nextObject() as? String {
                let last = (rel as NSString).lastPathComponent
                if last.hasPrefix(".") || last.hasPrefix("_") { if e.level > 0 { e.skipDescendants() }; continue }
                if rel.lowercased().hasSuffix(".sql") { files.append(rel) }
            }
        }
        files.sort()
        var sources: [(String, String)] = []
        for f in files { sources.append((f, try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8))) }
        return try build(directory: dir, settings: settings, sources: sources)
    }

    /// `${key}` → the configuration value (DLT's parameter substitution).
    static func substitute(_ text: String, _ configuration: [String: String]) -> String {
        guard text.contains("${") else { return text }
        var out = text
        for (k, v) in configuration { out = out.replacingOccurrences(of: "${\(k)}", with: v) }
        return out
    }

    /// Parses the given SQL sources and builds the DAG.
    public static func build(directory: URL, settings: PipelineSettings, sources: [(file: String, text: String)]) throws -> PipelineDefinition {
        var parsed: [PipelineDataset] = []
        var flows: [PipelineCDCFlow] = []
        for (file, text) in sources {
            let (ds, fs) = try PipelineSQLParser.parseFile(substitute(text, settings.configuration), file: file)
            parsed += ds
            flows += fs
        }
        let all = try PipelineCDCParser.attach(flows, to: parsed)
        guard !all.isEmpty else { throw PipelineError("\(directory.path): no datasets (no CREATE … statements in *.sql files)") }
        var byName: [String: PipelineDataset] = [:]
        for d in all {
            if let other = byName[d.name.lowercased()] { throw PipelineError("\(d.location): dataset \(d.name) is already defined at \(other.location)") }
            byName[d.name.lowercased()] = d
        }
        let cat = settings.catalog.lowercased(), sch = settings.schema.lowercased()
        let log = settings.eventLogTable.map { $0.lowercased() }
        if log[0] == cat, log[1] == sch, let d = byName[log[2]] {
            throw PipelineError("\(d.location): dataset \(d.name) has the name of the pipeline's event-log table (set event_log.name)")
        }
        var deps: [String: [String]] = [:]
        var external: [[String]] = []
        for d in all {
            var mine: [String] = []
            for r in d.references {
                let parts: [String]
                switch r.source {
                case .files: continue
                case .stream(let p), .table(let p): parts = p
                }
                guard parts.count <= 3 else { throw PipelineError("\(d.cdc?.file ?? d.file):\(r.line): invalid table name \(parts.joined(separator: "."))") }
                let full = parts.count == 3 ? parts : parts.count == 2 ? [settings.catalog] + parts : [settings.catalog, settings.schema] + parts
                let inPipeline = full[0].lowercased() == cat && full[1].lowercased() == sch
                if inPipeline {
                    let n = full[2].lowercased()
                    guard byName[n] != nil else {
                        throw PipelineError("\(d.cdc?.file ?? d.file):\(r.line): unknown reference \(parts.joined(separator: ".")) in dataset \(d.name) (no dataset of that name in the pipeline)")
                    }
                    if n == d.name.lowercased() { throw PipelineError("\(d.cdc?.file ?? d.file):\(r.line): dataset \(d.name) reads itself") }
                    if !mine.contains(n) { mine.append(n) }
                } else if !external.contains(where: { $0.map { $0.lowercased() } == full.map { $0.lowercased() } }) {
                    external.append(full)
                }
            }
            deps[d.name.lowercased()] = mine
        }
        // Depth-first topological order in file order; a back edge is a cycle.
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var order: [PipelineDataset] = []
        var stack: [String] = []
        func visit(_ n: String) throws {
            if state[n] == 2 { return }
            if state[n] == 1 {
                let cycle = stack[(stack.firstIndex(of: n) ?? 0)...] + [n]
                let text = cycle.map { name in "\(byName[name]!.name) (\(byName[name]!.location))" }.joined(separator: " -> ")
                throw PipelineError("cycle between datasets: \(text)")
            }
            state[n] = 1
            stack.append(n)
            for m in deps[n] ?? [] { try visit(m) }
            stack.removeLast()
            state[n] = 2
            order.append(byName[n]!)
        }
        for d in all { try visit(d.name.lowercased()) }
        return PipelineDefinition(directory: directory, settings: settings, datasets: order, dependencies: deps, externalTables: external)
    }
}
