import Foundation
import Yams

/// A configuration problem, always naming the key path so the user can find it.
public struct ConfigError: IngotError {
    public let errorCode = ErrorCode.invalidParameterValue
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// Reads configuration with the precedence flags > `INGOT_*` environment > file > defaults.
///
/// A file is read only when named (`--config` or `INGOT_CONFIG`): nothing is picked up
/// implicitly, so a stray `/etc/ingot/ingot.yaml` can never change a developer's server.
public struct ConfigLoader: Sendable {
    /// One settable key: its dotted path in YAML, and how to apply a string value.
    struct Key: Sendable {
        let path: String
        let apply: @Sendable (inout IngotConfig, String) throws -> Void

        /// The environment variable for this key, e.g. `server.port` → `INGOT_SERVER_PORT`.
        var environmentName: String {
            "INGOT_" + path.uppercased().replacingOccurrences(of: ".", with: "_")
        }
    }

    static let keys: [Key] = [
        Key(path: "server.host") { config, value in
            guard !value.isEmpty else { throw ConfigError("server.host: must not be empty") }
            config.host = value
        },
        Key(path: "server.port") { config, value in
            guard let port = Int(value), (0...65535).contains(port) else {
                throw ConfigError("server.port: expected an integer 0-65535, got '\(value)'")
            }
            config.port = port
        },
        Key(path: "server.max_body_bytes") { config, value in
            guard let bytes = Int(value), bytes >= 1024 else {
                throw ConfigError("server.max_body_bytes: expected an integer >= 1024, got '\(value)'")
            }
            config.maxBodyBytes = bytes
        },
        Key(path: "server.web_root") { config, value in config.webRoot = value.isEmpty ? nil : value },
        Key(path: "data_dir") { config, value in
            guard !value.isEmpty else { throw ConfigError("data_dir: must not be empty") }
            config.dataDir = value
        },
        Key(path: "log.level") { config, value in config.logLevel = try choice(value, "log.level") },
        Key(path: "log.format") { config, value in config.logFormat = try choice(value, "log.format") },
        Key(path: "storage.metadata.backend") { config, value in
            config.metadataBackend = try choice(value, "storage.metadata.backend", planned: ["postgres"])
        },
        Key(path: "storage.metadata.durability") { config, value in
            config.metadataDurability = try choice(value, "storage.metadata.durability")
        },
        Key(path: "storage.objects.backend") { config, value in
            config.objectBackend = try choice(value, "storage.objects.backend", planned: ["s3"])
        },
        Key(path: "auth.mode") { config, value in config.authMode = try choice(value, "auth.mode") },
        Key(path: "auth.session_ttl") { config, value in config.sessionTTLSeconds = try duration(value, "auth.session_ttl") },
        Key(path: "auth.session_idle_timeout") { config, value in config.sessionIdleSeconds = try duration(value, "auth.session_idle_timeout") },
        Key(path: "tls.certificate") { config, value in config.tlsCertificate = value.isEmpty ? nil : value },
        Key(path: "tls.key") { config, value in config.tlsKey = value.isEmpty ? nil : value },
        Key(path: "audit.retention_days") { config, value in
            guard let days = Int(value), days >= 1 else { throw ConfigError("audit.retention_days: expected a whole number of days >= 1, got '\(value)'") }
            config.auditRetentionDays = days
        },
        Key(path: "serving.python") { config, value in
            guard !value.isEmpty else { throw ConfigError("serving.python: must not be empty") }
            config.servingPython = value
        },
        Key(path: "serving.request_timeout_seconds") { config, value in
            config.servingRequestTimeoutSeconds = try positive(value, "serving.request_timeout_seconds")
        },
        Key(path: "serving.max_queue") { config, value in
            guard let n = Int(value), n >= 0 else { throw ConfigError("serving.max_queue: expected a whole number >= 0, got '\(value)'") }
            config.servingMaxQueue = n
        },
        Key(path: "serving.scale_to_zero_idle_seconds") { config, value in
            config.servingScaleToZeroIdleSeconds = try positive(value, "serving.scale_to_zero_idle_seconds")
        },
        Key(path: "serving.worker_start_timeout_seconds") { config, value in
            config.servingWorkerStartTimeoutSeconds = try positive(value, "serving.worker_start_timeout_seconds")
        },
        Key(path: "serving.alias_poll_seconds") { config, value in
            config.servingAliasPollSeconds = try positive(value, "serving.alias_poll_seconds")
        },
        Key(path: "jobs.python") { config, value in
            guard !value.isEmpty else { throw ConfigError("jobs.python: must not be empty") }
            config.jobsPython = value
        },
        Key(path: "jobs.max_parallel_tasks") { config, value in
            guard let n = Int(value), (1...256).contains(n) else { throw ConfigError("jobs.max_parallel_tasks: expected a whole number in 1...256, got '\(value)'") }
            config.jobsMaxParallelTasks = n
        },
        Key(path: "auth.allow_unauthenticated_remote") { config, value in
            guard let flag = Bool(value.lowercased()) else {
                throw ConfigError("auth.allow_unauthenticated_remote: expected true or false, got '\(value)'")
            }
            config.allowUnauthenticatedRemote = flag
        },
    ]

    public init() {}

    /// Builds the configuration.
    /// - Parameters:
    ///   - file: the config file named by `--config`, if any (else `INGOT_CONFIG` is consulted).
    ///   - environment: the process environment.
    ///   - overrides: flag values keyed by dotted path (`server.port`), applied last.
    public func load(
        file: String?, environment: [String: String], overrides: [String: String] = [:]
    ) throws -> IngotConfig {
        var config = IngotConfig()
        if let path = file ?? environment["INGOT_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ConfigError("config file '\(path)' cannot be read")
            }
            try apply(yaml: text, source: path, to: &config)
        }
        for key in Self.keys {
            if let value = environment[key.environmentName] {
                do { try key.apply(&config, value) } catch let error as ConfigError {
                    throw ConfigError("\(key.environmentName): \(error.message)")
                }
            }
        }
        for (path, value) in overrides.sorted(by: { $0.key < $1.key }) {
            guard let key = Self.keys.first(where: { $0.path == path }) else {
                throw ConfigError("unknown configuration key '\(path)'")
            }
            try key.apply(&config, value)
        }
        try config.validateSafety()
        try config.validateTLS()
        return config
    }

    /// Applies a YAML document, rejecting unknown keys and non-scalar values with their key path.
    public func apply(yaml: String, source: String, to config: inout IngotConfig) throws {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigError("config file '\(source)' is not valid YAML: \(error)")
        }
        guard let node else { return }  // an empty file means "all defaults"
        var values: [(String, String)] = []
        try flatten(node, prefix: "", source: source, into: &values)
        for (path, value) in values {
            guard let key = Self.keys.first(where: { $0.path == path }) else {
                throw ConfigError("\(source): unknown key '\(path)'")
            }
            do { try key.apply(&config, value) } catch let error as ConfigError {
                throw ConfigError("\(source): \(error.message)")
            }
        }
    }

    private func flatten(_ node: Node, prefix: String, source: String, into values: inout [(String, String)]) throws {
        switch node {
        case .mapping(let mapping):
            for (keyNode, valueNode) in mapping {
                guard let name = keyNode.string else {
                    throw ConfigError("\(source): non-string key under '\(prefix.isEmpty ? "<root>" : prefix)'")
                }
                try flatten(valueNode, prefix: prefix.isEmpty ? name : "\(prefix).\(name)", source: source, into: &values)
            }
        case .scalar(let scalar):
            guard !prefix.isEmpty else { throw ConfigError("\(source): expected a mapping at the top level") }
            // `~`/`null` means "keep the default", which lets a file list every key for documentation.
            if scalar.string == "~" || scalar.string == "null" || (scalar.string.isEmpty && scalar.style == .plain) { return }
            values.append((prefix, scalar.string))
        case .sequence:
            throw ConfigError("\(source): '\(prefix)' must be a single value, not a list")
        case .alias:
            throw ConfigError("\(source): '\(prefix)' uses a YAML alias, which is not supported")
        }
    }
}

/// A duration: whole seconds (`3600`, `3600s`) or with a unit (`90m`, `12h`, `7d`), at most a year.
func duration(_ value: String, _ path: String) throws -> Int64 {
    let text = value.trimmingCharacters(in: .whitespaces).lowercased()
    let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
    var number = Substring(text)
    var factor: Int64 = 1
    if let last = text.last, let f = units[last] {
        number = text.dropLast()
        factor = f
    }
    guard let n = Int64(number), n > 0, n <= 365 * 86_400 / factor, n * factor >= 1 else {
        throw ConfigError("\(path): expected a positive duration such as 3600, 90m, 12h or 7d, got '\(value)'")
    }
    return n * factor
}

private func positive(_ value: String, _ path: String) throws -> Double {
    guard let v = Double(value), v > 0, v.isFinite else { throw ConfigError("\(path): expected a number of seconds > 0, got '\(value)'") }
    return v
}

private func choice<T: RawRepresentable & CaseIterable>(
    _ value: String, _ path: String, planned: [String] = []
) throws -> T where T.RawValue == String {
    if let parsed = T(rawValue: value.lowercased()) { return parsed }
    let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
    if planned.contains(value.lowercased()) {
        throw ConfigError("\(path): '\(value)' is planned but not available in this build (available: \(allowed))")
    }
    throw ConfigError("\(path): expected one of \(allowed), got '\(value)'")
}
