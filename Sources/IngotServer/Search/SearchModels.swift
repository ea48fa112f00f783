import Foundation
import IngotCore

/// What search can find.
enum SearchEntryType: String, Sendable, CaseIterable, Codable {
    case catalog, schema, table, column, volume
    case registeredModel = "registered_model"
    case experiment, pipeline
    case servingEndpoint = "serving_endpoint"

    /// `types=` accepts these names, plurals and `model`/`endpoint` shorthands.
    init?(parameter: String) {
        let p = parameter.lowercased().trimmingCharacters(in: .whitespaces)
        let singular = p.hasSuffix("s") && p != "s" ? String(p.dropLast()) : p
        switch singular {
        case "model", "registered_model", "registered-model": self = .registeredModel
        case "endpoint", "serving_endpoint", "serving-endpoint": self = .servingEndpoint
        default: self.init(rawValue: singular)
        }
    }
}

/// One searchable object, as a module offers it. `name` is unique within its type (full name, id);
/// `title` is what a person reads and what ranking compares first.
struct SearchEntry: Sendable, Equatable {
    var type: SearchEntryType
    var name: String
    var title: String
    var comment: String?
    var tags: [String: String] = [:]
    /// The page that shows it (relative to `/ui/`).
    var link: String?
    /// Table or schema the entry belongs to (columns: their table).
    var parent: String?
    /// What a non-admin caller must hold to see it.
    var access: AccessRequest
}

/// The parsed query: lower-cased text and its terms (split on white space).
struct SearchQuery: Sendable {
    let text: String
    let terms: [String]
    let types: Set<SearchEntryType>

    init(_ raw: String, types: Set<SearchEntryType> = Set(SearchEntryType.allCases)) {
        text = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        terms = text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        self.types = types
    }

    func wants(_ type: SearchEntryType) -> Bool { types.contains(type) }
}

/// A module's searchable objects. Providers return candidates (a superset of the matches is fine;
/// ``SearchRanking`` drops what does not match) and never filter by caller: ``SearchService`` does.
protocol SearchProvider: Sendable {
    var types: Set<SearchEntryType> { get }
    func candidates(_ query: SearchQuery) async throws -> [SearchEntry]
}
