import ArgumentParser
import Foundation

/// `ingot volumes list main.default`: a schema's volumes (every page).
struct VolumesListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the volumes of a schema.")
    @Argument(help: "The schema: catalog.schema.") var schema: String
    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let p = try VolumesCommand.parts(schema, count: 2)
        let api = try client.client()
        var volumes: [[String: Any]] = []
        var token: String?
        repeat {
            var query = [("catalog_name", p[0]), ("schema_name", p[1]), ("max_results", "1000")]
            if let token { query.append(("page_token", token)) }
            let answer = try await api.call(.GET, VolumesCommand.api, query: query) as? [String: Any] ?? [:]
            volumes += answer["volumes"] as? [[String: Any]] ?? []
            token = (answer["next_page_token"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        switch output.output {
        case .json: try printJSON(volumes)
        case .table:
            var t = TextTable(["NAME", "TYPE", "OWNER", "LOCATION", "COMMENT"])
            for v in volumes {
                t.add([v["full_name"] as? String ?? "", v["volume_type"] as? String ?? "", v["owner"] as? String ?? "",
                       v["storage_location"] as? String ?? "", v["comment"] as? String ?? ""])
            }
            print(t.render())
        }
    }
}
