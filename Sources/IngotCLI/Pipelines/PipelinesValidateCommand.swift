import ArgumentParser
import Foundation
import IngotPipelines

struct PipelinesValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check a pipeline folder (settings, SQL, references, cycles) without running it; no server needed.")
    @OptionGroup var output: OutputOptions
    @Argument(help: "The pipeline folder (pipeline.yaml + *.sql).") var directory: String

    func run() async throws {
        let def = try PipelinesCommand.load(directory)
        do { try PipelineEngineRegistry.standard.validate(def.settings) } catch let e as PipelineError { throw PipelinesCommand.fail(e.message) }
        let rows: [[String: Any]] = def.datasets.map { d in
            ["name": d.name, "type": d.kind.rawValue, "location": d.location, "depends_on": def.dependencies[d.name.lowercased()] ?? [],
             "expectations": d.expectations.map { ["name": $0.name, "action": $0.action.rawValue, "condition": $0.condition] }]
        }
        switch output.output {
        case .json:
            try printJSON(["name": def.settings.name, "catalog": def.settings.catalog, "schema": def.settings.schema, "datasets": rows,
                           "external_tables": def.externalTables.map { $0.joined(separator: ".") }, "continuous": def.settings.isContinuous,
                           "event_log": def.settings.eventLogTable.joined(separator: ".")])
        case .table:
            print("pipeline \(def.settings.name) → \(def.settings.catalog).\(def.settings.schema): \(def.datasets.count) datasets, valid")
            var t = TextTable(["#", "DATASET", "TYPE", "DEPENDS ON", "EXPECTATIONS", "DEFINED AT"])
            for (i, d) in def.datasets.enumerated() {
                t.add([String(i + 1), d.name, d.kind.rawValue, (def.dependencies[d.name.lowercased()] ?? []).joined(separator: ","),
                       d.expectations.map { "\($0.name):\($0.action.rawValue)" }.joined(separator: ","), d.location])
            }
            print(t.render())
        }
    }
}
