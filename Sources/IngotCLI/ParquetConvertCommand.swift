import ArgumentParser
import Foundation
import IngotLake

/// `ingot parquet convert IN OUT.parquet`: CSV, JSON lines or Parquet to Parquet.
struct ParquetConvertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert", abstract: "Convert CSV, JSON lines or Parquet to Parquet.")

    @Argument(help: "Input file (.csv, .tsv, .jsonl/.ndjson/.json, .parquet).") var input: String
    @Argument(help: "Output Parquet file.") var outputFile: String
    @Option(name: .long, help: "Codec: zstd (default), snappy, gzip, lz4, none.") var codec: String = "zstd"
    @Option(name: .long, help: "Data page version: 1 (default) or 2.") var pageVersion: Int = 1
    @Flag(name: .long, help: "Disable dictionary encoding.") var noDictionary = false
    @Option(name: .long, help: "Maximum rows per row group.") var rowGroupRows: Int?
    @Option(name: .long, help: "Input format when the extension does not tell: csv, jsonl, parquet.") var format: String?
    @Option(name: .long, help: "CSV delimiter (one character; \\t for tab).") var delimiter: String?
    @Flag(name: .long, help: "The CSV file has no header row.") var noHeader = false
    @Option(name: .long, help: "An extra null token for CSV (repeatable).") var null: [String] = []
    @Option(name: .long, help: "Explicit schema: name:type,... (types: bool, int8..int64, float32, float64, string, binary, date, timestamp, timestamptz, decimal(p,s)).")
    var schema: String?
    @Flag(name: .long, help: "Put malformed rows' raw fields in a _rescued_data column instead of failing.") var rescue = false
    @Flag(name: .long, help: "No progress bar.") var quiet = false

    /// Writes every batch a text reader yields (`next`) to a new Parquet file, counting rows and moving the progress
    /// bar by how far the reader got in its input (`bytesRead`).
    static func write(
        to path: String, schema: Schema, options: ParquetWriteOptions, rows: inout Int64, progress: inout ProgressBar,
        next: () throws -> RecordBatch?, bytesRead: () -> Int64
    ) async throws {
        let w = try ParquetWriter(path: path, schema: schema, options: options)
        while let b = try next() {
            try await w.write(b)
            rows += Int64(b.numRows)
            progress.update(bytesRead(), rows: rows)
        }
        try await w.close()
    }

    func run() async throws {
        guard let codec = Codec(name: codec) else { throw CLIError("unknown codec '\(codec)' (zstd, snappy, gzip, lz4, none)") }
        guard FileManager.default.fileExists(atPath: input) else { throw CLIError("\(input): no such file") }
        let ext = (format ?? URL(fileURLWithPath: input).pathExtension).lowercased()
        var options = ParquetWriteOptions(codec: codec)
        options.dataPageVersion = pageVersion
        options.dictionary = !noDictionary
        if let rowGroupRows {
            guard rowGroupRows > 0 else { throw CLIError("--row-group-rows must be positive") }
            options.rowGroupRows = rowGroupRows
        }
        let explicit = try schema.map(parseSchema)
        let size = (try? FileManager.default.attributesOfItem(atPath: input)[.size] as? Int64) ?? 0
        var progress = ProgressBar(total: size, enabled: !quiet && size > 32 << 20)
        let tmp = outputFile + ".ingot-tmp"
        var rows: Int64 = 0
        do {
            switch ext {
            case "parquet", "pq":
                let r = try await ParquetReader.open(path: input)
                let w = try ParquetWriter(path: tmp, schema: Schema(r.schema.fields, metadata: r.keyValueMetadata.filter { $0.key != "ARROW:schema" }), options: options)
                for g in 0..<r.numRowGroups {
                    let b = try await r.readRowGroup(g)
                    try await w.write(b)
                    rows += Int64(b.numRows)
                    progress.update(Int64(g + 1) * size / Int64(max(r.numRowGroups, 1)), rows: rows)
                }
                try await w.close()
            case "csv", "tsv", "txt":
                var o = CSVOptions()
                if ext == "tsv" { o.delimiter = 9 }
                if let delimiter {
                    let d = delimiter == "\\t" ? "\t" : delimiter
                    guard d.utf8.count == 1 else { throw CLIError("--delimiter must be one character") }
                    o.delimiter = d.utf8.first!
                }
                o.header = !noHeader
                o.nullTokens = null
                o.schema = explicit
                o.malformed = rescue ? .rescue : .fail
                let r = try CSVReader(path: input, options: o)
                try await Self.write(to: tmp, schema: r.schema, options: options, rows: &rows, progress: &progress, next: r.next) { r.bytesRead }
            case "jsonl", "ndjson", "json":
                var o = JSONLinesOptions()
                o.schema = explicit
                o.malformed = rescue ? .rescue : .fail
                let r = try JSONLinesReader(path: input, options: o)
                try await Self.write(to: tmp, schema: r.schema, options: options, rows: &rows, progress: &progress, next: r.next) { r.bytesRead }
            default:
                throw CLIError("\(input): unknown input format '\(ext)' (use --format csv|jsonl|parquet)")
            }
            progress.finish()
            guard rename(tmp, outputFile) == 0 else { throw CLIError("cannot move the output to \(outputFile)") }
        } catch {
            progress.finish()
            unlink(tmp)
            throw error
        }
        if !quiet { FileHandle.standardError.write(Data("wrote \(rows) rows to \(outputFile)\n".utf8)) }
    }

    private func parseSchema(_ text: String) throws -> Schema {
        var fields: [Field] = []
        var depth = 0
        var current = ""
        var parts: [String] = []
        for ch in text {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1 }
            if ch == "," && depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        if !current.isEmpty { parts.append(current) }
        for p in parts {
            guard let colon = p.firstIndex(of: ":") else { throw CLIError("bad schema entry '\(p)' (expected name:type)") }
            let name = p[..<colon].trimmingCharacters(in: .whitespaces)
            let typeName = p[p.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard let t = LakeType(name: typeName) else { throw CLIError("unknown type '\(typeName)' in --schema") }
            fields.append(Field(name, t, id: Int32(fields.count + 1)))
        }
        return Schema(fields)
    }
}
