import Foundation
import Hummingbird
import IngotCatalog
import IngotCore

/// `GET /api/2.0/ingot/search?q=…&types=table,column&limit=50`: ranked results across modules,
/// limited to what the caller may see.
struct SearchController {
    let search: SearchService

    func addRoutes(to router: Router<IngotRequestContext>) {
        router.get("/api/2.0/ingot/search") { request, context in
            let params = request.uri.queryParameters
            let q = params.get("q") ?? ""
            guard q.count <= 200 else { throw CatalogError.invalidParameter("q is longer than 200 characters") }
            var types = Set(SearchEntryType.allCases)
            if let text = params.get("types"), !text.isEmpty {
                types = []
                for part in text.split(separator: ",") {
                    guard let t = SearchEntryType(parameter: String(part)) else {
                        throw CatalogError.invalidParameter("unknown type '\(part)': use \(SearchEntryType.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    types.insert(t)
                }
            }
            let limit = params.get("limit").flatMap(Int.init).map { max(1, min($0, 500)) } ?? 50
            let query = SearchQuery(q, types: types)
            guard !query.text.isEmpty else { return try JSONResponse.make(Answer(query: q, results: [])) }
            let results = try await search.search(query, caller: context.principal, limit: limit)
            return try JSONResponse.make(Answer(query: q, results: results))
        }
    }

    struct Answer: Encodable {
        let query: String
        let results: [SearchService.Result]
    }
}
