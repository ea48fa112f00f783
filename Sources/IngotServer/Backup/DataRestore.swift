import Foundation
import IngotStorage

/// Restores a backup folder into a data directory (offline: no server may be using the target).
///
/// Every file is checked against the manifest's size and SHA-256 before anything is written (a
/// damaged backup restores nothing), then copied and checked again as written; the metadata copy must
/// pass SQLite's integrity check. The target must be empty or missing unless `force`, which first
/// removes what the target holds.
public struct DataRestore: Sendable {
    public let backup: URL
    public let target: URL
    public var force = false
    public var progress: (@Sendable (BackupProgress) -> Void)?

    public init(backup: URL, target: URL, force: Bool = false, progress: (@Sendable (BackupProgress) -> Void)? = nil) {
        self.backup = backup.standardizedFileURL
        self.target = target.standardizedFileURL
        self.force = force
        self.progress = progress
    }

    public func run() throws -> BackupManifest {
        let fm = FileManager.default
        let manifest = try BackupManifest.read(from: backup)
        let data = backup.appendingPathComponent("data")
        // Verify first.
        var n = 0
        var bytes: Int64 = 0
        for f in [manifest.metadata] + manifest.files {
            guard !f.path.hasPrefix("/"), !f.path.split(separator: "/").contains("..") else { throw BackupError("manifest path \(f.path) is not relative") }
            let sum = try BackupFiles.checksum(data.appendingPathComponent(f.path))
            guard sum.size == f.size, sum.sha256 == f.sha256 else {
                throw BackupError("\(f.path): checksum mismatch (backup damaged: expected \(f.size) bytes sha256 \(f.sha256), found \(sum.size) bytes \(sum.sha256))")
            }
            n += 1
            bytes += f.size
            if n % 100 == 0 { progress?(BackupProgress(phase: "verify", files: n, bytes: bytes, current: f.path)) }
        }
        progress?(BackupProgress(phase: "verified", files: n, bytes: bytes, current: nil))
        if fm.fileExists(atPath: target.path), !BackupFiles.isEmptyDirectory(target) {
            guard force else { throw BackupError("\(target.path) is not empty (use --force to replace its contents)") }
            for entry in try fm.contentsOfDirectory(atPath: target.path) { try fm.removeItem(at: target.appendingPathComponent(entry)) }
        }
        try fm.createDirectory(at: target, withIntermediateDirectories: true)
        n = 0
        bytes = 0
        for f in manifest.files + [manifest.metadata] {
            guard let r = try BackupFiles.copy(data.appendingPathComponent(f.path), to: target.appendingPathComponent(f.path)), r.sha256 == f.sha256 else {
                throw BackupError("\(f.path): changed while restoring")
            }
            n += 1
            bytes += r.size
            if n % 100 == 0 { progress?(BackupProgress(phase: "restore", files: n, bytes: bytes, current: f.path)) }
        }
        if let problem = try MetadataBackup.integrityProblem(at: target.appendingPathComponent(MetadataStore.fileName).path) {
            throw BackupError("the restored metadata database fails SQLite's integrity check: \(problem)")
        }
        progress?(BackupProgress(phase: "done", files: n, bytes: bytes, current: nil))
        return manifest
    }
}
