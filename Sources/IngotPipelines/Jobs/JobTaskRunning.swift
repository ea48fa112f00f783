import Foundation

/// What a task body knows about the run it belongs to.
public struct JobTaskContext: Sendable {
    public let jobID: Int64?
    public let runID: Int64
    public let taskRunID: Int64
    public let taskKey: String
    public let attempt: Int
    public let parameters: [String: String]
    public let principal: String
    /// Where the task's log (stdout/stderr of a process task, or a summary) is appended.
    public let logURL: URL

    /// Replaces Databricks' dynamic value references: `{{job.parameters.NAME}}`, `{{job.id}}`,
    /// `{{job.run_id}}`, `{{task.name}}`, `{{task.run_id}}`.
    public func substitute(_ text: String) -> String {
        guard text.contains("{{") else { return text }
        var out = text
        for (k, v) in parameters { out = out.replacingOccurrences(of: "{{job.parameters.\(k)}}", with: v) }
        out = out.replacingOccurrences(of: "{{job.id}}", with: jobID.map(String.init) ?? "")
        out = out.replacingOccurrences(of: "{{job.run_id}}", with: String(runID))
        out = out.replacingOccurrences(of: "{{task.name}}", with: taskKey)
        out = out.replacingOccurrences(of: "{{task.run_id}}", with: String(taskRunID))
        return out
    }
}

/// Runs a pipeline update for a `pipeline_task` and waits for it; implemented by the composition root.
public protocol PipelineTaskRunning: Sendable {
    /// - Returns: a one-line summary for the task's output.
    /// - Throws: when the update fails; the message becomes the task's error.
    func runPipeline(id: String, fullRefresh: Bool, context: JobTaskContext) async throws -> String
}

/// Runs the statements of a `sql_task`; implemented by the composition root over the SQL engine.
public protocol SQLTaskRunning: Sendable {
    /// - Returns: text output (the last statement's rows, rendered) for the task's output.
    func runSQL(_ statements: [String], catalog: String?, schema: String?, context: JobTaskContext) async throws -> String
}

/// What a task process sees and how it is run.
public struct JobEnvironment: Sendable {
    /// The server's base URL (`INGOT_URL`, `MLFLOW_TRACKING_URI`, `DATABRICKS_HOST`).
    public var serverURL: String
    /// A token handed to task processes as `INGOT_TOKEN` / `DATABRICKS_TOKEN`, if any.
    public var token: String?
    /// The interpreter for python tasks (`jobs.python`).
    public var python: String
    /// The data directory; logs go to `<data dir>/jobs/runs/<run_id>/<task_key>.log`.
    public var dataDirectory: URL
    /// Bytes of a task log kept (the tail).
    public var logTailBytes: Int
    /// Tasks of one run that run at the same time.
    public var maxParallelTasks: Int
    /// Seconds between SIGTERM and SIGKILL when a process task is timed out or canceled.
    public var killGraceSeconds: Double

    public init(serverURL: String, token: String? = nil, python: String = "python3", dataDirectory: URL, logTailBytes: Int = 1 << 20,
                maxParallelTasks: Int = 4, killGraceSeconds: Double = 5) {
        self.serverURL = serverURL
        self.token = token
        self.python = python
        self.dataDirectory = dataDirectory
        self.logTailBytes = logTailBytes
        self.maxParallelTasks = maxParallelTasks
        self.killGraceSeconds = killGraceSeconds
    }

    /// The log file of one task run; task keys are validated (`[A-Za-z0-9_-]`), and the result is checked
    /// to stay inside the data directory.
    public func logURL(runID: Int64, taskKey: String) throws -> URL {
        let root = dataDirectory.standardizedFileURL
        let url = root.appendingPathComponent("jobs/runs/\(runID)/\(taskKey).log").standardizedFileURL
        guard JobValidation.isValidTaskKey(taskKey), url.path.hasPrefix(root.path + "/") else {
            throw JobError.invalid("task_key '\(taskKey)' cannot name a log file")
        }
        return url
    }
}
