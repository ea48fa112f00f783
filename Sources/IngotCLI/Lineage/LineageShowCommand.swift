import ArgumentParser
import Foundation

struct LineageShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a node's upstream and/or downstream lineage (node: a table name, a /path, or type:name such as serving_endpoint:churn).")
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "A table (main.gold.x), a file path, or type:name (mlflow_run:<id>, model_version:<model>/<version>, serving_endpoint:<name>, pipeline:<id>, job:<id>).")
    var node: String
    @Flag(name: .customLong("upstream"), help: "Only what flowed into the node.") var upstream = false
    @Flag(name: .customLong("downstream"), help: "Only what the node flowed into.") var downstream = false
    @Option(name: .customLong("depth"), help: "How many links to walk (1-50, default 3).") var depth: Int = 3

    func validate() throws {
        guard (1...50).contains(depth) else { throw ValidationError("--depth must be from 1 to 50") }
    }

    func run() async throws {
        let (type, name) = LineageCommand.parseNode(node)
        let direction = upstream == downstream ? "both" : upstream ? "upstream" : "downstream"
        let answer = try await client.client().call(
            .GET, "/api/2.0/ingot/lineage", query: [("node_type", type), ("name", name), ("direction", direction), ("depth", String(depth))]) as? [String: Any] ?? [:]
        switch output.output {
        case .json: try printJSON(answer)
        case .table:
            var label: [String: String] = [:]
            for n in answer["nodes"] as? [[String: Any]] ?? [] {
                let id = n["id"] as? String ?? ""
                let type = n["type"] as? String ?? ""
                label[id] = (n["redacted"] as? Bool ?? false) ? "\(type):(hidden)" : "\(type):\(n["display_name"] as? String ?? n["name"] as? String ?? "")"
            }
            var t = TextTable(["FROM", "TO", "VIA", "COLUMNS"])
            for e in answer["edges"] as? [[String: Any]] ?? [] {
                let columns = (e["columns"] as? [[String: Any]] ?? []).map { c in
                    "\(c["target"] as? String ?? "")<-\((c["sources"] as? [String] ?? []).joined(separator: "+"))"
                }
                t.add([label[e["source"] as? String ?? ""] ?? "", label[e["target"] as? String ?? ""] ?? "",
                       (e["via"] as? String).map { label[$0] ?? $0 } ?? "", columns.joined(separator: " ")])
            }
            print(t.render())
        }
    }
}
