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
        var fields: [(String, String)] = [
            ("ts", Self.timestamp()),
            ("level", event.level.rawValue),
            ("logger", label),
            ("msg", event.message.description),
        ]
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for key in merged.keys.sorted() { fields.append((key, merged[key]!.description)) }
        var line = format == .json ? Self.json(fields) : Self.logfmt(fields)
        line += "\n"
        // One write(2) per line: lines from concurrent requests never interleave, and no
        // Foundation buffering sits between a crash and the last line logged.
        line.withUTF8 { bytes in
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

    static func json(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\(JSONText.quote($0.0)):\(JSONText.quote($0.1))" }.joined(separator: ",") + "}"
    }

    static func logfmt(_ fields: [(String, String)]) -> String {
        fields.map { key, value in
            let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0.isNewline }
            return needsQuotes ? "\(key)=\(JSONText.quote(value))" : "\(key)=\(value)"
        }.joined(separator: " ")
    }
}

/// Minimal JSON string quoting for hand-built log lines.
public enum JSONText {
    public static func quote(_ string: String) -> String {
        var out = "\""
        out.reserveCapacity(string.utf8.count + 2)
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let s where s.value < 0x20:
                let hex = String(s.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
