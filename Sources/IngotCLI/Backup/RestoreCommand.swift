import ArgumentParser
import Foundation
import IngotServer

/// `ingot restore --from DIR --data-dir D [--force]`: offline restore of an `ingot backup` folder.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore a backup into a data directory (offline; checksums verified first).",
        discussion: "Refuses a non-empty data directory unless --force (which removes its contents first). Start `ingot serve --data-dir D` afterwards.")
    @Option(help: "The backup folder (holding manifest.json).") var from: String
    @Option(help: "The data directory to restore into.") var dataDir: String
    @Flag(help: "Replace the contents of a non-empty data directory.") var force = false
    @OptionGroup var output: OutputOptions
    @Flag(name: .long, help: "No progress on stderr.") var quiet = false

    func run() async throws {
        let quiet = self.quiet
        let restore = DataRestore(backup: URL(fileURLWithPath: from), target: URL(fileURLWithPath: dataDir), force: force) { p in
            if !quiet { BackupProgressLine.write(p) }
        }
        let m: BackupManifest
        do { m = try restore.run() } catch let e as BackupError { throw CLIError(e.description) }
        switch output.output {
        case .json:
            try printJSON(["data_dir": URL(fileURLWithPath: dataDir).standardizedFileURL.path, "files": m.files.count + 1, "bytes": m.totalBytes,
                           "tables": m.tables.count, "backup_created_at": m.createdAt])
        case .table:
            print("restored \(m.files.count + 1) files (\(m.totalBytes) bytes, \(m.tables.count) tables) into \(dataDir)")
        }
    }
}
