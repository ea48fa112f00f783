import Foundation

/// One encoder/decoder pair for every jobs document: Databricks' snake_case field names on the wire
/// and in the metadata store.
public enum JobsJSON {
    public static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()
    public static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    public static func encode<T: Encodable>(_ v: T) -> String {
        String(decoding: (try? encoder.encode(v)) ?? Data("{}".utf8), as: UTF8.self)
    }

    public static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try decoder.decode(type, from: Data(text.utf8))
    }
}

/// A job's settings in the Databricks Jobs 2.2 shape (unknown fields are ignored).
public struct JobSettings: Codable, Sendable, Equatable {
    public var name: String?
    public var tasks: [JobTask]?
    public var schedule: CronSchedule?
    public var maxConcurrentRuns: Int?
    public var parameters: [JobParameterDefinition]?
    public var tags: [String: String]?
    public var timeoutSeconds: Int?
    public var description: String?

    public init(name: String? = nil, tasks: [JobTask]? = nil, schedule: CronSchedule? = nil, maxConcurrentRuns: Int? = nil,
                parameters: [JobParameterDefinition]? = nil, tags: [String: String]? = nil) {
        self.name = name
        self.tasks = tasks
        self.schedule = schedule
        self.maxConcurrentRuns = maxConcurrentRuns
        self.parameters = parameters
        self.tags = tags
    }

    /// The run limit (Databricks' default: 1).
    public var concurrencyLimit: Int { max(1, maxConcurrentRuns ?? 1) }

    /// Applies a partial update (`jobs/update` `new_settings`): top-level fields present replace the old ones.
    public func merged(with new: JobSettings) -> JobSettings {
        var s = self
        if let v = new.name { s.name = v }
        if let v = new.tasks { s.tasks = v }
        if let v = new.schedule { s.schedule = v }
        if let v = new.maxConcurrentRuns { s.maxConcurrentRuns = v }
        if let v = new.parameters { s.parameters = v }
        if let v = new.tags { s.tags = v }
        if let v = new.timeoutSeconds { s.timeoutSeconds = v }
        if let v = new.description { s.description = v }
        return s
    }
}

public struct CronSchedule: Codable, Sendable, Equatable {
    public var quartzCronExpression: String
    public var timezoneId: String?
    public var pauseStatus: String?

    public init(quartzCronExpression: String, timezoneId: String? = "UTC", pauseStatus: String? = nil) {
        self.quartzCronExpression = quartzCronExpression
        self.timezoneId = timezoneId
        self.pauseStatus = pauseStatus
    }

    public var paused: Bool { pauseStatus == "PAUSED" }
    public var timeZone: TimeZone? { TimeZone(identifier: timezoneId ?? "UTC") }
}

public struct JobParameterDefinition: Codable, Sendable, Equatable {
    public var name: String
    public var `default`: String

    public init(name: String, default value: String) {
        self.name = name
        self.default = value
    }
}

public struct TaskDependency: Codable, Sendable, Equatable {
    public var taskKey: String
    public init(taskKey: String) { self.taskKey = taskKey }
}

/// One task of a job: exactly one `*_task` body.
public struct JobTask: Codable, Sendable, Equatable {
    public var taskKey: String
    public var description: String?
    public var dependsOn: [TaskDependency]?
    public var runIf: String?
    public var maxRetries: Int?
    public var minRetryIntervalMillis: Int?
    public var retryOnTimeout: Bool?
    public var timeoutSeconds: Int?
    public var pipelineTask: PipelineTask?
    public var sqlTask: SQLTask?
    public var sparkPythonTask: PythonTask?
    public var pythonTask: PythonTask?
    public var shellCommandTask: ShellCommandTask?
    public var notebookTask: AnyCodable?
    public var pythonWheelTask: AnyCodable?
    public var sparkJarTask: AnyCodable?
    public var runJobTask: AnyCodable?

    public init(taskKey: String, dependsOn: [String] = [], runIf: RunIf? = nil, maxRetries: Int? = nil, minRetryIntervalMillis: Int? = nil,
                timeoutSeconds: Int? = nil, shell: String? = nil) {
        self.taskKey = taskKey
        self.dependsOn = dependsOn.isEmpty ? nil : dependsOn.map(TaskDependency.init)
        self.runIf = runIf?.rawValue
        self.maxRetries = maxRetries
        self.minRetryIntervalMillis = minRetryIntervalMillis
        self.timeoutSeconds = timeoutSeconds
        self.shellCommandTask = shell.map { ShellCommandTask(command: $0) }
    }

    public var dependencies: [String] { (dependsOn ?? []).map(\.taskKey) }
    public var condition: RunIf { runIf.flatMap(RunIf.init(rawValue:)) ?? .allSuccess }

    /// The task body's kind, as reported in errors and logs.
    public var kind: String? {
        var kinds: [String] = []
        if pipelineTask != nil { kinds.append("pipeline_task") }
        if sqlTask != nil { kinds.append("sql_task") }
        if sparkPythonTask != nil { kinds.append("spark_python_task") }
        if pythonTask != nil { kinds.append("python_task") }
        if shellCommandTask != nil { kinds.append("shell_command_task") }
        if notebookTask != nil { kinds.append("notebook_task") }
        if pythonWheelTask != nil { kinds.append("python_wheel_task") }
        if sparkJarTask != nil { kinds.append("spark_jar_task") }
        if runJobTask != nil { kinds.append("run_job_task") }
        return kinds.count == 1 ? kinds[0] : nil
    }
}

public enum RunIf: String, Codable, Sendable, CaseIterable {
    case allSuccess = "ALL_SUCCESS", allDone = "ALL_DONE", noneFailed = "NONE_FAILED", atLeastOneSuccess = "AT_LEAST_ONE_SUCCESS"
    case allFailed = "ALL_FAILED", atLeastOneFailed = "AT_LEAST_ONE_FAILED"
}

public struct PipelineTask: Codable, Sendable, Equatable {
    public var pipelineId: String
    public var fullRefresh: Bool?
}

public struct SQLTask: Codable, Sendable, Equatable {
    public struct Query: Codable, Sendable, Equatable { public var queryId: String }
    public struct File: Codable, Sendable, Equatable { public var path: String }
    public var query: Query?
    public var file: File?
    /// Ingot extension: the statement text itself (statements separated by `;`).
    public var statement: String?
    public var warehouseId: String?
    public var parameters: [String: String]?
    /// Ingot extension: default catalog and schema for one- and two-part names.
    public var catalog: String?
    public var schema: String?

    public init(statement: String) { self.statement = statement }
}

public struct PythonTask: Codable, Sendable, Equatable {
    public var pythonFile: String
    public var parameters: [String]?
    public init(pythonFile: String, parameters: [String]? = nil) {
        self.pythonFile = pythonFile
        self.parameters = parameters
    }
}

public struct ShellCommandTask: Codable, Sendable, Equatable {
    public var command: String
    public init(command: String) { self.command = command }
}

/// Any JSON value, kept as its text (task kinds Ingot parses only to refuse clearly).
public struct AnyCodable: Codable, Sendable, Equatable {
    public init(from decoder: Decoder) throws {}
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode([String: String]())
    }
}
