import ArgumentParser
import Foundation

/// `ingot lineage show`: the lineage graph around a table, file, run, model version or endpoint.
struct LineageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage", abstract: "Walk the lineage graph: from landing files through tables, runs and model versions to serving endpoints.",
        subcommands: [LineageShowCommand.self])

    static let nodeTypes = [
        "file", "volume", "table", "pipeline", "job", "sql_statement", "mlflow_run", "model_version", "serving_endpoint", "external_dataset", "external_job",
    ]

    /// `type:name` (`serving_endpoint:churn`, `model_version:churn/2`), or a table name.
    static func parseNode(_ text: String) -> (type: String, name: String) {
        if let colon = text.firstIndex(of: ":"), nodeTypes.contains(String(text[..<colon])) {
            return (String(text[..<colon]), String(text[text.index(after: colon)...]))
        }
        if text.hasPrefix("/") { return ("file", text) }
        return ("table", text)
    }
}
