import Foundation

/// The few `MLmodel` keys the native loader reads, from a small block-YAML reader: nested mappings by
/// indentation, plain and quoted scalars (quoted ones may continue over several lines, as PyYAML folds
/// long values). Sequences and anything else are skipped. Keys are dotted paths:
/// `flavors.xgboost.model_class`, `signature.inputs`.
struct MLmodelKeys: Sendable {
    private(set) var values: [String: String] = [:]
    /// Direct child keys of each mapping path ("" is the root), in file order.
    private(set) var children: [String: [String]] = [:]

    subscript(path: String) -> String? { values[path] }

    init(yaml: String) {
        var stack: [(indent: Int, key: String)] = []
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        var i = 0
        while i < lines.count {
            let line = lines[i]
            i += 1
            let indent = line.prefix { $0 == " " }.count
            let body = line.dropFirst(indent)
            if body.isEmpty || body.hasPrefix("#") || body.hasPrefix("- ") || body == "-" { continue }
            guard let colon = Self.keyColon(body) else { continue }
            while let last = stack.last, last.indent >= indent { stack.removeLast() }
            let key = Self.unquote(String(body[..<colon]))
            let parent = stack.map(\.key).joined(separator: ".")
            let path = parent.isEmpty ? key : parent + "." + key
            children[parent, default: []].append(key)
            var rest = body[body.index(after: colon)...].drop { $0 == " " }
            if rest.isEmpty {
                stack.append((indent, key))
                continue
            }
            // A quoted scalar may continue on following lines until its closing quote.
            if let q = rest.first, q == "'" || q == "\"" {
                var text = String(rest.trimmingSuffixSpaces)
                while !Self.closes(text, quote: q), i < lines.count {
                    text += " " + lines[i].trimmingPrefix(while: { $0 == " " }).trimmingSuffixSpaces
                    i += 1
                }
                rest = Substring(text)
            }
            values[path] = Self.scalar(String(rest))
        }
    }

    /// The colon ending a mapping key (followed by a space or the end of the line), outside quotes.
    private static func keyColon(_ s: Substring) -> Substring.Index? {
        var quote: Character?
        var idx = s.startIndex
        while idx < s.endIndex {
            let c = s[idx]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == ":" {
                let next = s.index(after: idx)
                if next == s.endIndex || s[next] == " " { return idx }
            }
            idx = s.index(after: idx)
        }
        return nil
    }

    private static func closes(_ text: String, quote: Character) -> Bool {
        guard text.count >= 2, text.last == quote else { return false }
        if quote == "'" {
            // '' is an escaped quote: the scalar closes on an odd run of trailing quotes.
            let run = text.dropFirst().reversed().prefix { $0 == "'" }.count
            return run % 2 == 1
        }
        var backslashes = 0
        for c in text.dropLast().reversed() { if c == "\\" { backslashes += 1 } else { break } }
        return backslashes % 2 == 0
    }

    private static func scalar(_ raw: String) -> String {
        var s = Substring(raw)
        if s.first == "'" || s.first == "\"" { return unquote(String(s)) }
        if let hash = s.range(of: " #") { s = s[..<hash.lowerBound] }
        while s.last == " " { s.removeLast() }
        return String(s)
    }

    private static func unquote(_ s: String) -> String {
        guard s.count >= 2, let q = s.first, q == "'" || q == "\"", s.last == q else { return s }
        let inner = s.dropFirst().dropLast()
        if q == "'" { return inner.replacingOccurrences(of: "''", with: "'") }
        var out = ""
        var escaped = false
        for c in inner {
            if escaped {
                switch c {
                case "n": out.append("\n")
                case "t": out.append("\t")
                default: out.append(c)
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return out
    }
}

extension Substring {
    fileprivate var trimmingSuffixSpaces: Substring {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
