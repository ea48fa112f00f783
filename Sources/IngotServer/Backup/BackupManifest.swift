import Crypto
import Foundation

/// `manifest.json` of a backup folder: what was copied, with sizes and SHA-256 checksums. The copy
/// itself is under `data/`, laid out as a data directory (`data/metadata.sqlite`, `data/warehouse/…`).
public struct BackupManifest: Codable, Sendable {
    public static let formatName = "ingot-backup/1"
    public static let fileName = "manifest.json"

    public struct File: Codable, Sendable, Equatable {
        public var path: String
        public var size: Int64
        public var sha256: String
    }

    public struct Table: Codable, Sendable {
        /// `catalog.schema.table`, or the folder of a Delta table the catalog does not list.
        public var name: String
        public var location: String
        /// The Delta version copied (the newest in the log once the metadata was copied).
        public var deltaVersion: Int64?
        /// The version the metadata copy records for the table (may lag `delta_version`).
        public var catalogVersion: Int64?
        public var dataFiles: Int
        /// Why the table's files are not in the backup (a location outside the data directory).
        public var skipped: String?

        enum CodingKeys: String, CodingKey {
            case name, location, skipped
            case deltaVersion = "delta_version"
            case catalogVersion = "catalog_version"
            case dataFiles = "data_files"
        }
    }

    public var format: String
    public var createdAt: Int64
    public var source: String
    public var metadata: File
    public var tables: [Table]
    public var files: [File]

    public var totalBytes: Int64 { metadata.size + files.reduce(0) { $0 + $1.size } }

    enum CodingKeys: String, CodingKey {
        case format, source, metadata, tables, files
        case createdAt = "created_at"
    }

    public func write(to folder: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try enc.encode(self).write(to: folder.appendingPathComponent(Self.fileName), options: .atomic)
    }

    public static func read(from folder: URL) throws -> BackupManifest {
        let url = folder.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { throw BackupError("\(folder.path) has no \(fileName): not a backup") }
        let m: BackupManifest
        do { m = try JSONDecoder().decode(BackupManifest.self, from: data) } catch { throw BackupError("\(url.path): unreadable manifest: \(error)") }
        guard m.format == formatName else { throw BackupError("\(url.path): unknown backup format '\(m.format)' (expected \(formatName))") }
        return m
    }
}

public struct BackupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What a backup or restore is doing, for progress lines.
public struct BackupProgress: Sendable {
    public var phase: String
    public var files: Int
    public var bytes: Int64
    public var current: String?
}

enum BackupFiles {
    static let chunk = 1 << 20

    /// Copies `src` to `dst` (creating parent folders), returning size and SHA-256 of what was copied.
    /// nil when `src` does not exist (it was deleted meanwhile).
    static func copy(_ src: URL, to dst: URL) throws -> (size: Int64, sha256: String)? {
        guard let input = FileHandle(forReadingAtPath: src.path) else { return nil }
        defer { try? input.close() }
        try FileManager.default.createDirectory(at: dst.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: dst.path, contents: nil) , let output = FileHandle(forWritingAtPath: dst.path) else {
            throw BackupError("cannot create \(dst.path)")
        }
        defer { try? output.close() }
        var hash = SHA256()
        var size: Int64 = 0
        while let data = try input.read(upToCount: chunk), !data.isEmpty {
            hash.update(data: data)
            try output.write(contentsOf: data)
            size += Int64(data.count)
        }
        try output.synchronize()
        return (size, hex(hash.finalize()))
    }

    static func checksum(_ url: URL) throws -> (size: Int64, sha256: String) {
        guard let input = FileHandle(forReadingAtPath: url.path) else { throw BackupError("missing file \(url.path)") }
        defer { try? input.close() }
        var hash = SHA256()
        var size: Int64 = 0
        while let data = try input.read(upToCount: chunk), !data.isEmpty {
            hash.update(data: data)
            size += Int64(data.count)
        }
        return (size, hex(hash.finalize()))
    }

    static func write(_ data: Data, to dst: URL) throws -> (size: Int64, sha256: String) {
        try FileManager.default.createDirectory(at: dst.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: dst)
        return (Int64(data.count), hex(SHA256.hash(data: data)))
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 { digest.map { String(format: "%02x", $0) }.joined() }

    /// Regular files under `dir`, as paths relative to it, sorted.
    static func files(under dir: URL) -> [String] {
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey], options: []) else { return [] }
        let base = dir.standardizedFileURL.path
        var out: [String] = []
        for case let url as URL in e {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
            let p = url.standardizedFileURL.path
            guard p.hasPrefix(base + "/") else { continue }
            out.append(String(p.dropFirst(base.count + 1)))
        }
        return out.sorted()
    }

    static func isEmptyDirectory(_ url: URL) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).isEmpty
    }
}
