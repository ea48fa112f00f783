import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Filtered lists that still fill their pages. A non-admin's list is the underlying list with the
/// objects it may not see taken out; cutting first and filtering after would hand out short (even
/// empty) pages with a next token. Instead the middleware keeps asking the handler for the next
/// underlying page until the caller's page is full, and hands out its own token — the underlying
/// token plus how many items of that page were already consumed — so the next page starts exactly
/// where this one stopped. Work per request is bounded (``maxUnderlyingPages``): a caller who can see
/// almost nothing of a very long list gets a short page with a token to go on.
struct FilteredPages {
    static let tokenPrefix = "ingot-acl."
    static let maxUnderlyingPages = 50

    /// Where a filtered page starts: an underlying page token (nil: the first page) and how many of
    /// that page's items were already returned.
    struct Position: Equatable {
        var token: String?
        var skip: Int
    }

    static func encode(_ position: Position) -> String {
        let json = try! JSONSerialization.data(withJSONObject: ["t": position.token ?? "", "s": position.skip] as [String: Any])
        return tokenPrefix + json.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// A token this type handed out, or any other token passed through unchanged.
    static func decode(_ raw: String?) -> Position {
        guard let raw, !raw.isEmpty else { return Position(token: nil, skip: 0) }
        guard raw.hasPrefix(tokenPrefix),
            let data = Data(base64Encoded: String(raw.dropFirst(tokenPrefix.count)).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return Position(token: raw, skip: 0) }
        let token = json["t"] as? String
        return Position(token: token?.isEmpty == false ? token : nil, skip: max(0, (json["s"] as? NSNumber)?.intValue ?? 0))
    }

    /// The request asking for the underlying page at `token` (the page size is left as the caller sent it).
    static func request(_ original: Request, body: [String: Any]?, token: String?) throws -> Request {
        var head = original.head
        if original.method == .get || original.method == .head || body == nil {
            var components = URLComponents(string: original.uri.description) ?? URLComponents()
            var items = (components.queryItems ?? []).filter { $0.name != "page_token" }
            if let token { items.append(URLQueryItem(name: "page_token", value: token)) }
            components.queryItems = items.isEmpty ? nil : items
            head.path = components.string ?? original.uri.path
            return Request(head: head, body: .init(buffer: ByteBuffer()))
        }
        var json = body ?? [:]
        json["page_token"] = token
        let data = try JSONSerialization.data(withJSONObject: json)
        head.headerFields[.contentLength] = String(data.count)
        return Request(head: head, body: .init(buffer: ByteBuffer(bytes: data)))
    }

    /// The page size the caller asked for (`max_results` or `limit`), nil when it named none.
    static func pageSize(_ request: Request, body: [String: Any]?) -> Int? {
        for name in ["max_results", "limit"] {
            if let value = request.uri.queryParameters.get(name).flatMap({ Int($0) }) { return value }
            if let value = (body?[name] as? NSNumber)?.intValue { return value }
            if let value = (body?[name] as? String).flatMap({ Int($0) }) { return value }
        }
        return nil
    }
}

extension AuthorizationMiddleware {
    /// Runs a listing route for a non-admin: underlying pages are fetched and filtered with `keep`
    /// until `array` holds a full page (see ``FilteredPages``).
    func filledPage(
        _ request: Request, _ context: Context, array: String,
        next: (Request, Context) async throws -> Response, keep: (Any) async throws -> Bool
    ) async throws -> Response {
        var original = request
        let body = original.method == .get || original.method == .head ? nil : try await jsonBody(&original, context)
        let clientToken = original.uri.queryParameters.get("page_token") ?? (body?["page_token"] as? String)
        var position = FilteredPages.decode(clientToken)
        var wanted = FilteredPages.pageSize(original, body: body)
        var kept: [Any] = []
        var first: [String: Any]?
        var firstResponse: Response?
        var nextToken: String?
        pages: for round in 0..<FilteredPages.maxUnderlyingPages {
            let response = try await next(try FilteredPages.request(original, body: body, token: position.token), context)
            guard response.status == .ok else { return response }
            let (parsed, copy) = try await Self.json(of: response)
            guard let json = parsed, let items = json[array] as? [Any] else { return copy }
            if first == nil { (first, firstResponse) = (json, copy) }
            // Without a size in the request the handler's default applies: the first page shows it.
            if wanted == nil { wanted = (json["next_page_token"] as? String).map { _ in max(items.count, 1) } ?? Int.max }
            let size = max(wanted ?? Int.max, 1)
            for (index, item) in items.enumerated() where index >= position.skip {
                if kept.count >= size {
                    nextToken = FilteredPages.encode(FilteredPages.Position(token: position.token, skip: index))
                    break pages
                }
                if try await keep(item) { kept.append(item) }
            }
            guard let raw = json["next_page_token"] as? String, !raw.isEmpty else { break }
            position = FilteredPages.Position(token: raw, skip: 0)
            if kept.count >= size || round == FilteredPages.maxUnderlyingPages - 1 {
                nextToken = FilteredPages.encode(position)
                break
            }
        }
        guard var json = first, var response = firstResponse else { return try await next(request, context) }
        json[array] = kept
        json["next_page_token"] = nextToken
        json["prev_page_token"] = nil
        if json["has_more"] != nil { json["has_more"] = nextToken != nil }
        let data = try JSONSerialization.data(withJSONObject: json)
        response.body = .init(byteBuffer: ByteBuffer(bytes: data))
        response.headers[.contentLength] = String(data.count)
        return response
    }
}
