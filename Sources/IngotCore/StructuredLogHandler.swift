import Foundation
import Logging

/// Writes one structured line per log event (JSON or logfmt) to standard error, so log shippers
/// can parse server output without regular expressions.
public struct StructuredLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let format: IngotConfig.LogFormat

    public init(label: String, format: IngotConfig.LogFormat, level: Logger.Level) {
        self.label = label
        self.format = format
        self.logLevel = level
    }

    /// Installs this handler as the process-wide logging backend.
    public static func bootstrap(format: IngotConfig.LogFormat, level: IngotConfig.LogLevel) {
        let swiftLevel = Logger.Level(rawValue: level.rawValue) ?? .info
        LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, format: format, level: swiftLevel) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // The handler's metadata, then the event's (which wins on a shared key), sorted by key.
        var pairs: [(key: String, value: Logger.Metadata.Value)] = []
        pairs.reserveCapacity(metadata.count + (event.metadata?.count ?? 0))
        for (key, value) in metadata where event.metadata?[key] == nil { pairs.append((key, value)) }
        if let extra = event.metadata { for (key, value) in extra { pairs.append((key, value)) } }
        pairs.sort { $0.key < $1.key }
        // Built as bytes: this runs for every request, and string concatenation per field cost
        // a visible share of a small scoring request.
        var line: [UInt8] = []
        line.reserveCapacity(256)
        var first = true
        func field(_ key: String, _ value: String) {
            Self.append(key, value, format: format, first: first, to: &line)
            first = false
        }
        field("ts", Self.timestamp())
        field("level", event.level.rawValue)
        field("logger", label)
        field("msg", event.message.description)
        for (key, value) in pairs {
            if case .string(let text) = value { field(key, text) } else { field(key, value.description) }
        }
        if format == .json { line.append(UInt8(ascii: "}")) }
        line.append(UInt8(ascii: "\n"))
        // One write(2) per line: lines from concurrent requests never interleave, and no
        // Foundation buffering sits between a crash and the last line logged.
        line.withUnsafeBufferPointer { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }

    /// Appends one `key: value` field of a line (JSON: after `{` or `,`; logfmt: space-separated,
    /// the value quoted when it holds spaces, `=`, quotes or line breaks).
    static func append(_ key: String, _ value: String, format: IngotConfig.LogFormat, first: Bool, to line: inout [UInt8]) {
        if format == .json {
            line.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            JSONText.appendQuoted(key, to: &line)
            line.append(UInt8(ascii: ":"))
            JSONText.appendQuoted(value, to: &line)
            return
        }
        if !first { line.append(UInt8(ascii: " ")) }
        line.append(contentsOf: key.utf8)
        line.append(UInt8(ascii: "="))
        var needsQuotes = value.isEmpty || value.utf8.contains { $0 == 0x20 || $0 == 0x3D || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
        if !needsQuotes, value.utf8.contains(where: { $0 >= 0x80 }) { needsQuotes = value.contains { $0.isNewline } }
        if needsQuotes { JSONText.appendQuoted(value, to: &line) } else { line.append(contentsOf: value.utf8) }
    }

    static func json(_ fields: [(String, String)]) -> String {
        var line: [UInt8] = []
        for (i, f) in fields.enumerated() { append(f.0, f.1, format: .json, first: i == 0, to: &line) }
        line.append(UInt8(ascii: "}"))
        return String(decoding: line, as: UTF8.self)
    }

    static func logfmt(_ fields: [(String, String)]) -> String {
        var line: [UInt8] = []
        for (i, f) in fields.enumerated() { append(f.0, f.1, format: .logfmt, first: i == 0, to: &line) }
        return String(decoding: line, as: UTF8.self)
    }

    /// RFC 3339 UTC time with milliseconds, e.g. `2026-11-26T08:55:01.123Z`. Formatted by hand:
    /// an `ISO8601DateFormatter` per line cost more than the rest of a small request.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = time_t(now.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = Int(now.tv_nsec) / 1_000_000
        var out = ""
        out.reserveCapacity(24)
        func pad(_ value: Int, _ width: Int) {
            let digits = String(value)
            if digits.count < width { out += String(repeating: "0", count: width - digits.count) }
            out += digits
        }
        pad(Int(parts.tm_year) + 1900, 4)
        out += "-"
        pad(Int(parts.tm_mon) + 1, 2)
        out += "-"
        pad(Int(parts.tm_mday), 2)
        out += "T"
        pad(Int(parts.tm_hour), 2)
        out += ":"
        pad(Int(parts.tm_min), 2)
        out += ":"
        pad(Int(parts.tm_sec), 2)
        out += "."
        pad(millis, 3)
        out += "Z"
        return out
    }

}
