import ArgumentParser
import Foundation
import IngotLake

/// `ingot parquet …`: offline tools for Parquet files (no server needed).
struct ParquetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parquet", abstract: "Inspect and convert Parquet files (offline).",
        subcommands: [
            ParquetSchemaCommand.self, ParquetHeadCommand.self, ParquetCatCommand.self, ParquetStatsCommand.self,
            ParquetConvertCommand.self, ParquetBenchCommand.self,
        ])
}

/// Shared helpers of the parquet commands.
enum ParquetCLI {
    /// Opens a Parquet file, turning failures into one-line CLI errors.
    static func open(_ path: String) async throws -> ParquetReader {
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no such file") }
        return try await ParquetReader.open(path: path)
    }

    /// Writes a string to stdout without Foundation's print buffering surprises.
    static func write(_ s: String) {
        print(s, terminator: "")
    }

    /// Renders a statistics value for display.
    static func render(_ value: Value?, type: LakeType) -> String? {
        guard let value else { return nil }
        var b = ColumnBuilder(type: type)
        b.append(value)
        return ValueFormatting.text(b.finish(), 0)
    }

    static func splitColumns(_ s: String?) -> [String]? {
        s.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
    }
}

/// A progress bar on stderr.
struct ProgressBar {
    let total: Int64
    let enabled: Bool
    private var lastPercent = -1

    init(total: Int64, enabled: Bool) {
        self.total = max(total, 1)
        self.enabled = enabled
    }

    mutating func update(_ done: Int64, rows: Int64) {
        guard enabled else { return }
        let percent = Int(min(100, done * 100 / total))
        guard percent != lastPercent else { return }
        lastPercent = percent
        let width = 30
        let filled = percent * width / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(percent)%\(rows >= 0 ? " \(rows) rows" : "")".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
