import Foundation
import IngotLake

/// A local file to load into a table: its format, the schema read or inferred from it, and a batch
/// source that streams it (the file is never loaded whole).
public struct IngestFile: Sendable {
    public enum Format: String, Sendable, CaseIterable { case csv, jsonl, parquet }

    public let path: String
    public let format: Format
    public let schema: Schema

    /// Infers the format from the extension when not given.
    public static func format(of path: String, given: String?) throws -> Format {
        if let given {
            guard let format = Format(rawValue: given.lowercased() == "json" ? "jsonl" : given.lowercased()) else {
                throw CatalogError.invalidParameter("unknown format '\(given)' (use csv, jsonl or parquet)")
            }
            return format
        }
        switch (path as NSString).pathExtension.lowercased() {
        case "csv", "tsv", "txt": return .csv
        case "jsonl", "ndjson", "json": return .jsonl
        case "parquet", "pq": return .parquet
        default: throw CatalogError.invalidParameter("cannot tell the format of '\((path as NSString).lastPathComponent)': give format csv, jsonl or parquet")
        }
    }

    /// Opens the file far enough to know its schema (CSV/JSON: inferred from a sample).
    public init(path: String, format: Format, schema: Schema? = nil) async throws {
        self.path = path
        self.format = format
        switch format {
        case .csv:
            self.schema = try CSVReader(path: path, options: Self.csvOptions(path, schema)).schema
        case .jsonl:
            self.schema = try JSONLinesReader(path: path, options: Self.jsonOptions(schema)).schema
        case .parquet:
            let reader = try await ParquetReader.open(path: path)
            self.schema = Schema(reader.schema.fields)
        }
    }

    /// Streams the file's batches; `progress` gets the bytes read so far. Parsing runs in a child
    /// task ahead of the consumer (Parquet encoding), so the two use separate cores.
    public func batches(progress: (@Sendable (Int64) -> Void)? = nil) -> BatchSource {
        let produce = producer(progress: progress)
        return { emit in try await BatchPipeline.run(produce: produce, consume: emit) }
    }

    private func producer(progress: (@Sendable (Int64) -> Void)?) -> BatchSource {
        let path = self.path, format = self.format, schema = self.schema
        return { emit in
            switch format {
            case .csv:
                let reader = try CSVReader(path: path, options: Self.csvOptions(path, schema))
                while let batch = try reader.next() {
                    try await emit(batch)
                    progress?(reader.bytesRead)
                }
            case .jsonl:
                let reader = try JSONLinesReader(path: path, options: Self.jsonOptions(schema))
                while let batch = try reader.next() {
                    try await emit(batch)
                    progress?(reader.bytesRead)
                }
            case .parquet:
                let reader = try await ParquetReader.open(path: path)
                for group in 0..<reader.numRowGroups {
                    try await emit(try await reader.readRowGroup(group))
                    progress?(Int64(group + 1))
                }
            }
        }
    }

    static func csvOptions(_ path: String, _ schema: Schema?) -> CSVOptions {
        var options = CSVOptions()
        options.schema = schema
        if (path as NSString).pathExtension.lowercased() == "tsv" { options.delimiter = 9 }
        return options
    }

    static func jsonOptions(_ schema: Schema?) -> JSONLinesOptions {
        var options = JSONLinesOptions()
        options.schema = schema
        return options
    }
}
