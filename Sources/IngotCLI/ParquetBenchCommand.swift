import ArgumentParser
import Foundation
import IngotLake

/// `ingot parquet bench read|write`: timing helpers for bench/parquet (prints one JSON line).
struct ParquetBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Time Parquet reading or writing (used by bench/parquet).", shouldDisplay: false)

    enum Mode: String, ExpressibleByArgument { case read, write }

    @Argument(help: "read: time reading FILE and summing every numeric column; write: load FILE, time writing it to OUT.")
    var mode: Mode
    @Argument(help: "Input Parquet file.") var file: String
    @Argument(help: "Output file (write mode).") var out: String?
    @Option(name: .long, help: "Codec for write mode.") var codec: String = "zstd"

    func run() async throws {
        switch mode {
        case .read:
            let start = DispatchTime.now()
            let r = try await ParquetReader.open(path: file)
            var rows = 0
            var sum = 0.0
            var isum: Int64 = 0
            var strings = 0
            var nulls = 0
            try await r.forEachBatch { b in
                rows += b.numRows
                for c in b.columns {
                    nulls += c.nullCount
                    switch c.values {
                    case .int32(let v): for x in v { isum &+= Int64(x) }
                    case .int64(let v): for x in v { isum &+= x }
                    case .float64(let v): for x in v { sum += x }
                    case .float32(let v): for x in v { sum += Double(x) }
                    case .bytes(let v): strings += v.data.count
                    default: break
                    }
                }
            }
            let secs = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            print("{\"seconds\": \(secs), \"rows\": \(rows), \"sum\": \(sum), \"isum\": \(isum), \"string_bytes\": \(strings), \"nulls\": \(nulls)}")
        case .write:
            guard let out else { throw CLIError("write mode needs an output file") }
            guard let codec = Codec(name: codec) else { throw CLIError("unknown codec \(codec)") }
            let r = try await ParquetReader.open(path: file)
            var batches: [RecordBatch] = []
            try await r.forEachBatch { batches.append($0) }
            let start = DispatchTime.now()
            let w = try ParquetWriter(path: out, schema: Schema(r.schema.fields), options: ParquetWriteOptions(codec: codec))
            for b in batches { try await w.write(b) }
            let summary = try await w.close()
            let secs = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            print("{\"seconds\": \(secs), \"rows\": \(summary.rows), \"bytes\": \(summary.bytes)}")
        }
    }
}
