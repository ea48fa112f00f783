import ArgumentParser
import Foundation
import IngotCore
import IngotServer
import IngotStorage

/// `ingot version`: the binary's version and schema version, and a data directory's if named.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the binary and schema versions.")

    @Option(name: .customLong("data-dir"), help: "Also report the schema version of this data directory.")
    var dataDir: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let known = IngotMigrations.all.last?.identifier ?? "none"
        var dataSchema: String?
        if let dataDir {
            let path = URL(fileURLWithPath: dataDir).appendingPathComponent(MetadataStore.fileName).path
            guard FileManager.default.fileExists(atPath: path) else {
                throw IngotFailure.notFound("no Ingot metadata database in \(dataDir)")
            }
            let store = try MetadataStore(path: path, migrations: IngotMigrations.all)
            dataSchema = try store.appliedSchemaVersion() ?? "none"
            try store.close()
        }
        switch output.output {
        case .json:
            var fields: [String: any Sendable] = [
                "version": IngotVersion.current, "schema_version": known, "migrations": IngotMigrations.all.count,
            ]
            if let dataSchema { fields["data_dir_schema_version"] = dataSchema }
            try printJSON(fields)
        case .table:
            print("ingot \(IngotVersion.current)")
            print("schema \(known) (\(IngotMigrations.all.count) migrations)")
            if let dataSchema, let dataDir { print("data dir \(dataDir): schema \(dataSchema)") }
        }
    }
}
