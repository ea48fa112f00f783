import Foundation

/// Ranks entries against a query. Tiers, best first:
/// - 1000 exact: the title or full name equals the query;
/// - 800 prefix: the title or full name starts with the query;
/// - 600 token: every query term starts a word of the title/full name (words split on `.`, `_`, `-`, `/`, spaces);
/// - 400 substring: every query term occurs inside the title/full name;
/// - 200 comment: every term occurs in the name, the comment or (150) a tag key or value — at least one outside the name.
/// Within a tier shorter titles come first, then the type order of ``SearchEntryType``, then the name.
enum SearchRanking {
    static let separators: Set<Character> = [".", "_", "-", "/", " ", ":"]

    static func words(_ s: String) -> [Substring] { s.split(whereSeparator: { separators.contains($0) }) }

    static func score(_ e: SearchEntry, _ q: SearchQuery) -> Int {
        guard !q.text.isEmpty else { return 1 }
        let title = e.title.lowercased(), full = e.name.lowercased()
        if title == q.text || full == q.text { return 1000 }
        if title.hasPrefix(q.text) || full.hasPrefix(q.text) { return 800 }
        let nameWords = words(title) + words(full)
        if q.terms.allSatisfy({ t in nameWords.contains { $0.hasPrefix(t) } }) { return 600 }
        if q.terms.allSatisfy({ title.contains($0) || full.contains($0) }) { return 400 }
        let comment = e.comment?.lowercased() ?? ""
        let tagText = e.tags.map { "\($0.key.lowercased()) \($0.value.lowercased())" }.joined(separator: " ")
        var usedComment = false, usedTag = false
        for t in q.terms {
            if title.contains(t) || full.contains(t) { continue }
            if comment.contains(t) { usedComment = true; continue }
            if tagText.contains(t) { usedTag = true; continue }
            return 0
        }
        return usedComment ? 200 : usedTag ? 150 : 0
    }

    static let typeOrder: [SearchEntryType: Int] = Dictionary(uniqueKeysWithValues: SearchEntryType.allCases.enumerated().map { ($1, $0) })

    /// Matching entries, best first.
    static func rank(_ entries: [SearchEntry], _ q: SearchQuery) -> [(entry: SearchEntry, score: Int)] {
        entries.compactMap { e -> (SearchEntry, Int)? in
            guard q.wants(e.type) else { return nil }
            let s = score(e, q)
            return s > 0 ? (e, s) : nil
        }.sorted { a, b in
            if a.1 != b.1 { return a.1 > b.1 }
            if a.0.title.count != b.0.title.count { return a.0.title.count < b.0.title.count }
            let ta = typeOrder[a.0.type] ?? 0, tb = typeOrder[b.0.type] ?? 0
            if ta != tb { return ta < tb }
            return a.0.name < b.0.name
        }.map { (entry: $0.0, score: $0.1) }
    }
}
