import HTTPTypes
import IngotIdentity

/// The route-guard table as documentation: every registered route with the guard ``RouteGuards``
/// gives it, in words. `docs/route-guards.md` is this text; `RouteGuardDocsTests` fails when they
/// differ, so the document cannot drift from the code (regenerate with
/// `INGOT_UPDATE_DOCS=1 swift test --filter RouteGuardDocsTests`).
enum RouteGuardDocs {
    /// Route prefixes served twice under another name; the table lists each route once, under its canonical path.
    static let aliases: [(alias: String, canonical: String)] = [
        ("/ajax-api/2.0/", "/api/2.0/"), ("/ajax-api/3.0/", "/api/3.0/"), ("/api/3.0/mlflow/", "/api/2.0/mlflow/"),
        ("/api/2.1/jobs/", "/api/2.x/jobs/"), ("/api/2.2/jobs/", "/api/2.x/jobs/"), ("/api/2.0/jobs/", "/api/2.x/jobs/"),
        ("/api/2.1/unity-catalog/iceberg/v1/", "/iceberg/v1/"),
    ]

    static func canonical(_ path: String) -> String {
        var path = path
        for (alias, canonical) in aliases where path.hasPrefix(alias) { path = canonical + path.dropFirst(alias.count) }
        return path
    }

    static func markdown(routes: [(method: HTTPRequest.Method, path: String)]) -> String {
        var rows: [String: (methods: Set<String>, guard: String)] = [:]
        var order: [String] = []
        for (method, path) in routes {
            let description = RouteGuards.guard(method: method, path: path).map(describe) ?? "**none: refused to non-admins**"
            let key = canonical(path) + "\u{0}" + description
            if rows[key] == nil { order.append(key) }
            rows[key, default: ([], description)].methods.insert(method.rawValue)
        }
        let methodOrder = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
        let sorted = order.sorted { a, b in
            let (pa, pb) = (a.split(separator: "\u{0}").first ?? "", b.split(separator: "\u{0}").first ?? "")
            return pa != pb ? pa < pb : a < b
        }
        var out = """
            # Route guards

            <!-- Generated from Sources/IngotServer/Authorization/RouteGuard.swift by RouteGuardDocsTests; do not edit.
                 Regenerate: INGOT_UPDATE_DOCS=1 swift test --filter RouteGuardDocsTests -->

            Every route the server registers and what it requires of a caller who is not an administrator
            (administrators pass every guard) when authentication is on; see [security.md](security.md).
            Routes also served under another prefix are listed once:
            \(aliases.map { "`\($0.alias)…` as `\($0.canonical)…`" }.joined(separator: ", ")).

            | method | route | guard (non-admins) |
            |---|---|---|

            """
        for key in sorted {
            let row = rows[key]!
            let methods = row.methods.sorted { (methodOrder.firstIndex(of: $0) ?? 99, $0) < (methodOrder.firstIndex(of: $1) ?? 99, $1) }
            let path = String(key.split(separator: "\u{0}").first ?? "")
            out += "| \(methods.joined(separator: ", ")) | `\(path)` | \(row.guard) |\n"
        }
        return out
    }

    static func describe(_ routeGuard: RouteGuard) -> String {
        switch routeGuard {
        case .open: "public"
        case .signedIn: "signed in (the handler limits itself to the caller's own data or checks further)"
        case .admin: "admin only"
        case .object(let type, let level, let ref): "\(level) on the \(type.singular) (\(describe(ref)))"
        case .create(let type, _, _): "signed in; the creator owns the new \(type.singular)"
        case .listing(let type, let level, _, _): "signed in; the list shows only \(type.rawValue) with \(level)"
        case .catalog(let privilege, let ref): "\(privilege) on \(describe(ref))"
        case .catalogListing(let privilege, _, _): "signed in; the list shows only securables with \(privilege)"
        case .icebergListing(let parent, let ref, let item, _): "\(parent) on \(describe(ref)); the list shows only items with \(item)"
        case .ownStatement: "only the principal that submitted the statement (others get 404)"
        case .permissionsAPI: "checked by the permissions controller (read: any level on the object; change: CAN_MANAGE / MANAGE)"
        }
    }

    static func describe(_ ref: ObjectRef) -> String {
        switch ref {
        case .param(let name): "`{\(name)}`"
        case .field(let names): names.map { "`\($0)`" }.joined(separator: " or ")
        case .fieldList(let name): "every `\(name)`"
        case .run: "the experiment of `run_id`"
        case .experimentsInRequest: "every experiment id in the request"
        case .loggedModel: "the experiment of `{model_id}`"
        case .traces: "the experiments of the traces"
        case .experimentName: "the experiment named `experiment_name`"
        case .registryRequest: "the model of request `id`"
        case .jobRun: "the job of `run_id`"
        case .artifactPath: "the experiment in the artifact path"
        case .joinedParams(let names): "`" + names.map { "{\($0)}" }.joined(separator: ".") + "`"
        case .joinedFields(let names): "`" + names.joined(separator: ".") + "`"
        case .volumePath: "the volume in the path (`/Volumes/<catalog>/<schema>/<volume>/...`)"
        }
    }
}
