import ArgumentParser
import IngotLake

/// `ingot parquet head FILE [-n N]`: the first rows.
struct ParquetHeadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "head", abstract: "Print the first rows of a Parquet file.")

    @Argument(help: "The Parquet file.") var file: String
    @Option(name: .short, help: "Number of rows.") var n: Int = 10
    @Option(name: .long, help: "Comma-separated columns to show.") var columns: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard n >= 0 else { throw CLIError("-n must not be negative") }
        let r = try await ParquetCLI.open(file)
        let names = ParquetCLI.splitColumns(columns)
        var batches: [RecordBatch] = []
        var have = 0
        for g in 0..<r.numRowGroups where have < n {
            let b = try await r.readRowGroup(g, columns: names)
            let take = min(n - have, b.numRows)
            batches.append(b)
            have += take
            if have >= n { break }
        }
        let fields = try r.resolve(names).map(\.field)
        switch output.output {
        case .json:
            var out = "["
            var left = n
            var first = true
            for b in batches where left > 0 {
                let rows = min(left, b.numRows)
                var lines = ""
                ValueFormatting.appendJSONLines(b, rows: 0..<rows, to: &lines)
                for l in lines.split(separator: "\n") {
                    out += (first ? "\n" : ",\n") + l
                    first = false
                }
                left -= rows
            }
            out += first ? "]\n" : "\n]\n"
            ParquetCLI.write(out)
        case .table:
            var t = TextTable(fields.map(\.name))
            var left = n
            for b in batches where left > 0 {
                let rows = min(left, b.numRows)
                for i in 0..<rows { t.add(b.columns.map { ValueFormatting.text($0, i) }) }
                left -= rows
            }
            print(t.render())
        }
    }
}
