import Foundation

/// Everything `ingot serve` needs to start. Built by ``ConfigLoader`` from, in rising precedence,
/// built-in defaults, a YAML file, `INGOT_*` environment variables and command-line flags.
public struct IngotConfig: Sendable, Equatable {
    public enum LogFormat: String, Sendable, CaseIterable { case json, logfmt }
    public enum LogLevel: String, Sendable, CaseIterable { case trace, debug, info, notice, warning, error, critical }
    public enum MetadataBackend: String, Sendable, CaseIterable { case sqlite }
    /// What an acknowledged metadata write survives. `process`: a crash or kill -9 of Ingot (SQLite
    /// WAL with synchronous=NORMAL: no fsync per commit). `power`: also an OS crash or power loss
    /// (synchronous=FULL: one fsync per commit, roughly 10 ms each on ordinary disks).
    public enum MetadataDurability: String, Sendable, CaseIterable { case process, power }
    public enum ObjectBackend: String, Sendable, CaseIterable { case local }
    public enum AuthMode: String, Sendable, CaseIterable { case none, token }

    public static let defaultPort = 8470

    public var host = "127.0.0.1"
    public var port = IngotConfig.defaultPort
    /// Largest request body accepted by JSON APIs; artifact uploads stream and are not bound by it.
    public var maxBodyBytes = 64 * 1024 * 1024
    public var dataDir = "./ingot-data"
    public var logLevel = LogLevel.info
    public var logFormat = LogFormat.json
    public var metadataBackend = MetadataBackend.sqlite
    public var metadataDurability = MetadataDurability.process
    public var objectBackend = ObjectBackend.local
    public var authMode = AuthMode.none
    /// Allow `auth.mode: none` on a non-loopback address (everyone on the network is admin).
    public var allowUnauthenticatedRemote = false
    /// Absolute lifetime of a web session from sign-in, in seconds (`auth.session_ttl`, e.g. `12h`).
    public var sessionTTLSeconds: Int64 = 12 * 3600
    /// A web session unused this long ends, in seconds (`auth.session_idle_timeout`, e.g. `1h`).
    public var sessionIdleSeconds: Int64 = 3600
    /// PEM certificate chain and private key (`tls.certificate`, `tls.key`): both set serves HTTPS.
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// Whether the server speaks HTTPS (cookies are then marked Secure).
    public var tlsEnabled: Bool { tlsCertificate != nil && tlsKey != nil }
    /// Days audit events are kept.
    public var auditRetentionDays = 365
    /// Where admin pages are read from while developing; nil serves the copy embedded in the binary.
    public var webRoot: String?
    /// Python interpreter for model-serving pyfunc workers (`serving.python`).
    public var servingPython = "python3"
    /// Longest a model-serving request may wait for and run on a worker, in seconds.
    public var servingRequestTimeoutSeconds = 30.0
    /// Requests that may queue per served entity before it answers 429.
    public var servingMaxQueue = 64
    /// Idle seconds after which a scale-to-zero served entity unloads.
    public var servingScaleToZeroIdleSeconds = 300.0
    /// Seconds a Python worker may take to load its model.
    public var servingWorkerStartTimeoutSeconds = 120.0
    /// How often served aliases are re-resolved, in seconds.
    public var servingAliasPollSeconds = 5.0

    /// Interpreter for job python tasks (`jobs.python`).
    public var jobsPython = "python3"
    /// Tasks of one job run that may run at the same time (`jobs.max_parallel_tasks`).
    public var jobsMaxParallelTasks = 4

    public init() {}

    /// Whether the listen address is reachable only from this machine.
    public var listensOnLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Refuses combinations that would be unsafe: no authentication on a network address.
    public func validateSafety() throws {
        if authMode == .none && !listensOnLoopback && !allowUnauthenticatedRemote {
            throw ConfigError(
                "auth.mode is 'none' but server.host '\(host)' is reachable from the network: everyone would be admin. "
                    + "Set auth.mode: token (after `ingot admin init`), listen on 127.0.0.1, or set auth.allow_unauthenticated_remote: true")
        }
    }

    /// TLS needs both files, readable: checked at startup so a typo is one clear line, not a handshake failure.
    public func validateTLS() throws {
        switch (tlsCertificate, tlsKey) {
        case (nil, nil): return
        case (nil, _): throw ConfigError("tls.key is set but tls.certificate is not: set both (PEM files) or neither")
        case (_, nil): throw ConfigError("tls.certificate is set but tls.key is not: set both (PEM files) or neither")
        case (let cert?, let key?):
            for (path, name) in [(cert, "tls.certificate"), (key, "tls.key")] where !FileManager.default.isReadableFile(atPath: path) {
                throw ConfigError("\(name): cannot read '\(path)' (missing or not readable)")
            }
        }
    }

    /// The absolute data directory, resolved against the current directory.
    public var dataDirectoryURL: URL {
        URL(fileURLWithPath: dataDir, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL
    }
}
