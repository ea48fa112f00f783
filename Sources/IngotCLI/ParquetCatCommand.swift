import ArgumentParser
import IngotLake

/// `ingot parquet cat FILE`: every row as JSON lines.
struct ParquetCatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cat", abstract: "Print every row of a Parquet file as JSON lines.")

    enum Format: String, ExpressibleByArgument { case jsonl }

    @Argument(help: "The Parquet file.") var file: String
    @Option(name: .long, help: "Output format (jsonl).") var output: Format = .jsonl
    @Option(name: .long, help: "Comma-separated columns to print.") var columns: String?

    func run() async throws {
        let r = try await ParquetCLI.open(file)
        let names = ParquetCLI.splitColumns(columns)
        try await r.forEachBatch(columns: names) { b in
            var start = 0
            while start < b.numRows {
                let end = min(b.numRows, start + 4096)
                var out = ""
                ValueFormatting.appendJSONLines(b, rows: start..<end, to: &out)
                ParquetCLI.write(out)
                start = end
            }
        }
    }
}
