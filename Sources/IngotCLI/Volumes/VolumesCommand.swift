import ArgumentParser
import Foundation

/// `ingot volumes create|list|get|delete`: Unity Catalog volumes (directories of files in a schema).
struct VolumesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volumes", abstract: "Create, list, show and delete volumes (catalog.schema.volume).",
        subcommands: [VolumesCreateCommand.self, VolumesListCommand.self, VolumesGetCommand.self, VolumesDeleteCommand.self])

    static let api = "/api/2.1/unity-catalog/volumes"

    /// Splits `catalog.schema.volume` (exactly three parts).
    static func parts(_ fullName: String, count: Int = 3) throws -> [String] {
        let parts = fullName.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == count, !parts.contains(where: \.isEmpty) else {
            throw CLIError(count == 3 ? "'\(fullName)' is not a volume name: expected catalog.schema.volume" : "'\(fullName)' is not a schema name: expected catalog.schema")
        }
        return parts
    }

    static func time(_ ms: Any?) -> String {
        guard let n = (ms as? NSNumber)?.int64Value, n > 0 else { return "" }
        return ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(n) / 1000))
    }

    static func printVolume(_ v: [String: Any], json: Bool) throws {
        if json { return try printJSON(v) }
        for key in ["full_name", "volume_type", "storage_location", "owner", "comment", "volume_id"] {
            print("\(key.padding(toLength: 17, withPad: " ", startingAt: 0)) \(v[key].map { "\($0)" } ?? "")")
        }
        print("created_at        \(time(v["created_at"])) by \(v["created_by"] as? String ?? "")")
    }
}
