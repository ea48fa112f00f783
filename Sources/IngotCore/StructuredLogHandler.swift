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
        let line = format == .json ? Self.json(fields) : Self.logfmt(fields)
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
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
