import Foundation

/// MLflow's validation rules and messages for registry names, versions, aliases and tags.
enum RegistryValidation {
    static let maxTagKeyLength = 250
    static let maxTagValueLength = 100_000
    static let maxAliasLength = 255

    static func modelName(_ name: String?, field: String = "name") throws -> String {
        guard let name, !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw RegistryError.missing(field) }
        if name.contains("/") || name.contains(":") {
            throw RegistryError.invalidParameter("Invalid model name '\(name)'. Names cannot contain '/' or ':'.")
        }
        if pathNotUnique(name) {
            throw RegistryError.invalidParameter(
                "Invalid value \"\(name)\" for parameter '\(field)' supplied: Names may be treated as files in certain cases, and must not resolve to other names when treated as such."
            )
        }
        return name
    }

    static func version(_ raw: String?) throws -> Int64 {
        guard let raw, !raw.isEmpty else { throw RegistryError.missing("version") }
        guard let value = Int64(raw.trimmingCharacters(in: .whitespaces)) else {
            throw RegistryError.invalidParameter("Parameter 'version' must be an integer, got '\(raw)'.")
        }
        return value
    }

    static func alias(_ alias: String?, reservedCheck: Bool) throws -> String {
        guard let alias, !alias.isEmpty else { throw RegistryError.invalidParameter("Registered model alias name cannot be empty.") }
        guard alias.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw RegistryError.invalidParameter(
                "Invalid alias name: '\(alias)'. Names may only contain alphanumerics, underscores (_), and dashes (-).")
        }
        if alias.count > maxAliasLength {
            throw RegistryError.invalidParameter("'Registered model alias name' exceeds the maximum length of \(maxAliasLength) characters")
        }
        if reservedCheck {
            if alias.lowercased() == "latest" {
                throw RegistryError.invalidParameter("'latest' alias name (case insensitive) is reserved.")
            }
            let chars = Array(alias)
            if chars.count > 1, chars[0] == "v" || chars[0] == "V", chars.dropFirst().allSatisfy(\.isNumber) {
                throw RegistryError.invalidParameter("Version alias name '\(alias)' is reserved.")
            }
        }
        return alias
    }

    static func tagKey(_ key: String?) throws -> String {
        guard let key else { throw RegistryError.missing("key") }
        let allowed = key.allSatisfy { $0.isLetter || $0.isNumber || "_-./ :".contains($0) }
        if !allowed || key.isEmpty {
            throw RegistryError.invalidParameter(
                "Invalid value \"\(key)\" for parameter 'key' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/)."
            )
        }
        if pathNotUnique(key) {
            throw RegistryError.invalidParameter("Invalid value \"\(key)\" for parameter 'key' supplied: Names may be treated as files in certain cases, and must not resolve to other names when treated as such.")
        }
        if key.count > maxTagKeyLength { throw RegistryError.invalidParameter("'key' exceeds the maximum length of \(maxTagKeyLength) characters") }
        return key
    }

    static func tag(_ tag: RegistryTag) throws {
        _ = try tagKey(tag.key)
        if tag.value.count > maxTagValueLength {
            throw RegistryError.invalidParameter("'value' exceeds the maximum length of \(maxTagValueLength) characters")
        }
    }

    /// Python's `posixpath.normpath(name) != name` and friends: a name that would resolve to another path.
    static func pathNotUnique(_ name: String) -> Bool {
        let norm = normpath(name)
        return norm != name || norm == "." || norm.hasPrefix("..") || norm.hasPrefix("/")
    }

    static func normpath(_ path: String) -> String {
        if path.isEmpty { return "." }
        let initialSlashes = path.hasPrefix("//") && !path.hasPrefix("///") ? 2 : (path.hasPrefix("/") ? 1 : 0)
        var parts: [Substring] = []
        for comp in path.split(separator: "/", omittingEmptySubsequences: true) {
            if comp == "." { continue }
            if comp == ".." {
                if initialSlashes == 0 && (parts.isEmpty || parts.last == "..") {
                    parts.append(comp)
                } else if !parts.isEmpty {
                    parts.removeLast()
                }
                continue
            }
            parts.append(comp)
        }
        let joined = parts.joined(separator: "/")
        let result = String(repeating: "/", count: initialSlashes) + joined
        return result.isEmpty ? "." : result
    }

    static func maxResults(_ value: Int?, default defaultValue: Int, limit: Int) throws -> Int {
        guard let value else { return defaultValue }
        guard value > 0 else {
            throw RegistryError.invalidParameter("Invalid value for max_results. It must be a positive integer, but got \(value)")
        }
        guard value <= limit else {
            throw RegistryError.invalidParameter(
                "Invalid value for request parameter max_results. It must be at most \(limit), but got value \(value)")
        }
        return value
    }
}
