import Foundation
import IngotCore

/// Binds Databricks named parameter markers (`:name`) to typed literals before the statement reaches
/// the engine. Markers inside string literals, quoted identifiers and comments are left alone; `::`
/// (a cast) is not a marker. Values never become SQL text unchecked: strings are quoted and escaped,
/// numbers and booleans are validated, dates and timestamps become typed CASTs of quoted strings.
enum StatementParameters {
    static func bind(_ sql: String, _ parameters: [(name: String, value: String?, type: String?)]) throws -> String {
        var values: [String: String] = [:]
        for p in parameters {
            guard !p.name.isEmpty, p.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw IngotFailure(.invalidParameterValue, "invalid parameter name '\(p.name)'")
            }
            values[p.name.lowercased()] = try literal(p.value, type: p.type, name: p.name)
        }
        let chars = Array(sql.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        func copy(until end: Int) {
            out.append(contentsOf: chars[i..<min(end, chars.count)])
            i = min(end, chars.count)
        }
        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            switch c {
            case "'", "\"", "`":
                var j = i + 1
                while j < chars.count {
                    if chars[j] == "\\" && c != "`" { j += 2; continue }
                    if chars[j] == c {
                        if j + 1 < chars.count, chars[j + 1] == c { j += 2; continue }
                        break
                    }
                    j += 1
                }
                copy(until: j + 1)
            case "-" where next == "-":
                var j = i
                while j < chars.count, chars[j] != "\n" { j += 1 }
                copy(until: j)
            case "/" where next == "*":
                var j = i + 2
                while j + 1 < chars.count, !(chars[j] == "*" && chars[j + 1] == "/") { j += 1 }
                copy(until: j + 2)
            case ":" where next == ":":
                copy(until: i + 2)
            case ":" where next.map { $0.properties.isAlphabetic || $0 == "_" } ?? false:
                var j = i + 1
                while j < chars.count, chars[j].properties.isAlphabetic || chars[j] == "_" || ("0"..."9").contains(chars[j]) { j += 1 }
                let name = String(String.UnicodeScalarView(chars[(i + 1)..<j]))
                guard let value = values[name.lowercased()] else {
                    throw IngotFailure(.invalidParameterValue, "no value given for parameter marker :\(name)")
                }
                out.append(contentsOf: value.unicodeScalars)
                i = j
            default:
                out.append(c)
                i += 1
            }
        }
        return String(out)
    }

    static func quoted(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    static func literal(_ value: String?, type: String?, name: String) throws -> String {
        guard let value else { return "NULL" }
        let kind = (type ?? "STRING").uppercased()
        func bad() -> IngotFailure { IngotFailure(.invalidParameterValue, "parameter \(name): '\(value)' is not a valid \(kind)") }
        switch kind {
        case "STRING", "VARCHAR", "CHAR": return quoted(value)
        case "INT", "INTEGER", "BIGINT", "LONG", "SMALLINT", "SHORT", "TINYINT", "BYTE":
            guard Int64(value) != nil else { throw bad() }
            return "CAST(\(value) AS \(kind == "INTEGER" ? "INT" : kind))"
        case "DOUBLE", "FLOAT", "REAL":
            guard Double(value) != nil else { throw bad() }
            return "CAST(\(quoted(value)) AS DOUBLE)"
        case _ where kind.range(of: #"^DECIMAL(\(\d{1,2}, ?\d{1,2}\))?$"#, options: .regularExpression) != nil:
            guard Decimal(string: value) != nil, value.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" || $0 == "+" }) else { throw bad() }
            return "CAST(\(quoted(value)) AS \(kind))"
        case "BOOLEAN":
            switch value.lowercased() {
            case "true": return "TRUE"
            case "false": return "FALSE"
            default: throw bad()
            }
        case "DATE", "TIMESTAMP", "TIMESTAMP_NTZ": return "CAST(\(quoted(value)) AS \(kind))"
        default: throw IngotFailure(.invalidParameterValue, "parameter \(name): type \(kind) is not supported")
        }
    }
}
