import Foundation
import IngotCore

/// Cross-module search: asks every provider for candidates concurrently, ranks them
/// (``SearchRanking``) and keeps, in rank order, only what the caller may see (``Authorizer``;
/// admins see everything) until `limit` results.
struct SearchService: Sendable {
    let providers: [any SearchProvider]
    let authorizer: any Authorizer
    /// Whether authorization is enforced (auth on).
    let enforce: Bool

    struct Result: Sendable, Encodable {
        let type: String
        let name: String
        let title: String
        let comment: String?
        let tags: [String: String]?
        let parent: String?
        let link: String?
        let score: Int
    }

    func search(_ query: SearchQuery, caller: Principal, limit: Int) async throws -> [Result] {
        let wanted = providers.filter { !$0.types.isDisjoint(with: query.types) }
        let candidates = try await withThrowingTaskGroup(of: [SearchEntry].self) { group in
            for p in wanted { group.addTask { try await p.candidates(query) } }
            var all: [SearchEntry] = []
            for try await batch in group { all += batch }
            return all
        }
        var out: [Result] = []
        for (entry, score) in SearchRanking.rank(candidates, query) {
            if out.count >= limit { break }
            if enforce, !caller.isAdmin, !(try await authorizer.check(caller, entry.access)) { continue }
            out.append(Result(type: entry.type.rawValue, name: entry.name, title: entry.title, comment: entry.comment,
                              tags: entry.tags.isEmpty ? nil : entry.tags, parent: entry.parent, link: entry.link, score: score))
        }
        return out
    }
}
