import ArgumentParser
import Foundation
import IngotServer

/// `ingot backup --to DIR [--data-dir D | --server URL]`: an online, consistent backup (see
/// `DataBackup` for the rule and docs/operations.md). With `--data-dir` this process copies the data
/// directory itself, safely beside a running `ingot serve`; with `--server` the server writes the
/// backup to DIR on its host (administrators only).
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Back up a data directory (metadata, tables, volumes, artifacts) while the server runs.",
        discussion: "Progress goes to stderr; the summary (or --output json) to stdout. DIR must not exist or be empty.")
    @Option(help: "Folder to write the backup to (must not exist or be empty).") var to: String
    @Option(help: "The data directory to back up, read directly (default: ask the server with --server).") var dataDir: String?
    @Option(help: "Ask this server to write the backup (a folder on the server's host).") var server: String?
    @Option(help: "Access token for --server (default $INGOT_TOKEN).") var token: String?
    @OptionGroup var output: OutputOptions
    @Flag(name: .long, help: "No progress on stderr.") var quiet = false

    func run() async throws {
        if dataDir != nil, server != nil { throw CLIError("give --data-dir or --server, not both") }
        let summary: [String: Any]
        if let dataDir {
            let quiet = self.quiet
            let backup = DataBackup(dataDirectory: URL(fileURLWithPath: dataDir)) { p in
                if !quiet { BackupProgressLine.write(p) }
            }
            do {
                summary = BackupProgressLine.summary(try backup.run(to: URL(fileURLWithPath: to)), folder: to)
            } catch let e as BackupError { throw CLIError(e.description) }
        } else {
            let api = try ClientOptions.with(server: server, token: token).client()
            if !quiet { FileHandle.standardError.write(Data("asking the server to back up into \(to)…\n".utf8)) }
            summary = try await api.call(.POST, "/api/2.0/ingot/backup", body: ["to": to]) as? [String: Any] ?? [:]
        }
        switch output.output {
        case .json: try printJSON(summary)
        case .table:
            let tables = (summary["tables"] as? NSNumber)?.intValue ?? 0
            print("backup written to \(summary["folder"] as? String ?? to): \(summary["files"] ?? 0) files, \(summary["bytes"] ?? 0) bytes, \(tables) tables")
        }
    }
}

enum BackupProgressLine {
    static func write(_ p: BackupProgress) {
        let mb = String(format: "%.1f", Double(p.bytes) / 1_048_576)
        FileHandle.standardError.write(Data("\(p.phase): \(p.files) files, \(mb) MiB\(p.current.map { " — \($0)" } ?? "")\n".utf8))
    }

    static func summary(_ m: BackupManifest, folder: String) -> [String: Any] {
        ["folder": URL(fileURLWithPath: folder).standardizedFileURL.path, "files": m.files.count + 1, "bytes": m.totalBytes, "tables": m.tables.count,
         "skipped_tables": m.tables.filter { $0.skipped != nil }.map(\.name), "created_at": m.createdAt]
    }
}

extension ClientOptions {
    static func with(server: String?, token: String?) -> ClientOptions {
        var o = ClientOptions()
        o.server = server
        o.token = token
        return o
    }
}
