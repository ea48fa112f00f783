import ArgumentParser
import IngotLake

/// `ingot parquet stats FILE`: row groups, codecs, encodings, sizes and statistics.
struct ParquetStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Print row groups, codecs, encodings, sizes and statistics.")

    @Argument(help: "The Parquet file.") var file: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let r = try await ParquetCLI.open(file)
        let types = Dictionary(r.columns.map { ($0.field.name, $0.field.type) }, uniquingKeysWith: { a, _ in a })
        switch output.output {
        case .json:
            var groups: [[String: Any]] = []
            for g in 0..<r.numRowGroups {
                let cols: [[String: Any]] = r.statistics(rowGroup: g).map { s in
                    var d: [String: Any] = [
                        "column": s.column, "physical_type": s.physicalType, "codec": s.codec, "encodings": s.encodings,
                        "num_values": s.numValues, "compressed_bytes": s.compressedBytes, "uncompressed_bytes": s.uncompressedBytes,
                    ]
                    if let n = s.nullCount { d["null_count"] = n }
                    let t = types[s.column] ?? .string
                    if let v = ParquetCLI.render(s.min, type: t) { d["min"] = v }
                    if let v = ParquetCLI.render(s.max, type: t) { d["max"] = v }
                    return d
                }
                groups.append(["index": g, "num_rows": r.rowCount(ofRowGroup: g), "columns": cols])
            }
            try printJSON(["num_rows": r.numRows, "row_groups": groups, "created_by": r.createdBy ?? ""] as [String: Any])
        case .table:
            print("\(r.numRows) rows, \(r.numRowGroups) row groups, created by \(r.createdBy ?? "unknown")")
            for g in 0..<r.numRowGroups {
                print("row group \(g): \(r.rowCount(ofRowGroup: g)) rows")
                var t = TextTable(["column", "codec", "encodings", "compressed", "uncompressed", "nulls", "min", "max"])
                for s in r.statistics(rowGroup: g) {
                    let ty = types[s.column] ?? .string
                    t.add([s.column, s.codec, s.encodings.joined(separator: ","), String(s.compressedBytes), String(s.uncompressedBytes),
                        s.nullCount.map { String($0) } ?? "", ParquetCLI.render(s.min, type: ty).map { String($0.prefix(40)) } ?? "",
                        ParquetCLI.render(s.max, type: ty).map { String($0.prefix(40)) } ?? ""])
                }
                print(t.render())
            }
        }
    }
}
