import ArgumentParser
import Foundation

/// `ingot audit list`: the audit log (admins).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Read the audit log.", subcommands: [List.self])
}

extension AuditCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List audit events, newest first.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only events of this principal.") var principal: String?
        @Option(help: "success, denied, unauthenticated or failure.") var outcome: String?
        @Option(help: "Only actions containing this text (e.g. DELETE, /unity-catalog/).") var action: String?
        @Option(help: "Only events in the last N hours.") var hours: Double?
        @Option(help: "Maximum number of events.") var limit = 100

        func run() async throws {
            var query = [("limit", String(limit))]
            if let principal { query.append(("principal", principal)) }
            if let outcome { query.append(("outcome", outcome)) }
            if let action { query.append(("action", action)) }
            if let hours { query.append(("since", String(Int64((Date().timeIntervalSince1970 - hours * 3600) * 1000)))) }
            let answer = try await client.client().call(.GET, "/api/2.0/ingot/audit", query: query) as? [String: Any] ?? [:]
            let events = answer["events"] as? [[String: Any]] ?? []
            switch output.output {
            case .json: try printJSON(events)
            case .table:
                var table = TextTable(["TIME", "PRINCIPAL", "SOURCE", "ACTION", "OBJECT", "OUTCOME", "STATUS"])
                for e in events {
                    let ms = (e["time"] as? NSNumber)?.doubleValue ?? 0
                    table.add([
                        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: ms / 1000)), e["principal"] as? String ?? "",
                        e["source"] as? String ?? "", e["action"] as? String ?? "", e["object"] as? String ?? "", e["outcome"] as? String ?? "",
                        (e["status"] as? NSNumber)?.stringValue ?? "",
                    ])
                }
                print(table.render())
            }
        }
    }
}
