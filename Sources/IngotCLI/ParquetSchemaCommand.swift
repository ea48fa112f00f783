import ArgumentParser
import IngotLake

/// `ingot parquet schema FILE`: the columns of a Parquet file.
struct ParquetSchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "schema", abstract: "Print a Parquet file's schema.")

    @Argument(help: "The Parquet file.") var file: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let r = try await ParquetCLI.open(file)
        switch output.output {
        case .json:
            let cols: [[String: Any]] = r.columns.map { c in
                var d: [String: Any] = [
                    "name": c.field.name, "type": c.field.type.description, "nullable": c.field.nullable,
                    "physical_type": c.physicalType, "repetition": c.repetition,
                ]
                if let id = c.field.id { d["field_id"] = Int(id) }
                if let l = c.logicalType { d["logical_type"] = l }
                return d
            }
            try printJSON([
                "columns": cols, "num_rows": r.numRows, "num_row_groups": r.numRowGroups, "created_by": r.createdBy ?? "",
                "metadata": r.keyValueMetadata, "skipped_columns": r.skippedColumns,
            ] as [String: Any])
        case .table:
            var t = TextTable(["column", "type", "nullable", "field_id", "physical", "logical"])
            for c in r.columns {
                t.add([c.field.name, c.field.type.description, c.field.nullable ? "yes" : "no", c.field.id.map { String($0) } ?? "",
                    c.physicalType, c.logicalType ?? ""])
            }
            for s in r.skippedColumns { t.add([s, "(nested, not read)", "", "", "", ""]) }
            print(t.render())
            print("\(r.numRows) rows in \(r.numRowGroups) row groups; created by \(r.createdBy ?? "unknown")")
        }
    }
}
