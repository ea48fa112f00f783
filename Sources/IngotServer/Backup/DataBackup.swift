import Foundation
import IngotStorage

/// An online backup of a data directory (`ingot backup`, `POST /api/2.0/ingot/backup`), consistent
/// while `ingot serve` keeps writing to it.
///
/// The rule that makes it consistent:
/// 1. The metadata store is copied first, with SQLite's online backup API: one read transaction, so
///    the copy is the metadata as of one instant (runs, models, pipelines, jobs, the catalog).
/// 2. Then each table the copied catalog lists is copied **at the newest Delta version its log holds
///    when the backup lists it**, V (never below the version the catalog copy records; the catalog's
///    record can lag the log, and Delta's own commit — the put-if-absent of `_delta_log/V.json`
///    after its data files — is what makes a write durable): the `_delta_log` commits and
///    checkpoints up to V (`_last_checkpoint` only if it points at or below V), and the data files
///    the commits up to V add (every file live at V must exist; a file an old version referenced that
///    a VACUUM has deleted is skipped). A commit racing the backup writes V+1 or later, which is left
///    out, so no table in the backup is torn and every commit acknowledged before the backup started
///    is in it. A table ahead of the catalog copy is what a crash after a commit leaves; the restored
///    server reconciles it when it opens the table, as after a crash (pipeline checkpoints resolve
///    their pending writes against the table version the same way). The table's Iceberg metadata is
///    copied up to `v{V+1}.metadata.json` (the mirror of version V) and `version-hint.text` is written
///    to match. Files in a table's folder that no commit up to V references (a racing writer's new
///    files, abandoned staging) are not copied.
/// 3. A Delta table folder outside the catalog (the materialized `system/` audit table) is copied the
///    same way at the latest version its log holds when the backup reaches it.
/// 4. Everything else in `volumes/`, `artifacts/` and other areas is copied file by file. The object
///    store writes a file to `tmp/` and renames it into place, so a file is copied whole or not at
///    all; an artifact uploaded after step 1 may be in the backup without a run referring to it,
///    which is harmless. `tmp/`, `serving/` (caches) and the rest of `warehouse/` (staging of pipeline
///    runs, files of dropped tables) are not copied.
/// Tables whose location is outside the data directory are listed as skipped.
public struct DataBackup: Sendable {
    public let dataDirectory: URL
    public var progress: (@Sendable (BackupProgress) -> Void)?

    public init(dataDirectory: URL, progress: (@Sendable (BackupProgress) -> Void)? = nil) {
        self.dataDirectory = dataDirectory.standardizedFileURL
        self.progress = progress
    }

    static let skippedAreas: Set<String> = ["tmp", "serving", "warehouse"]

    final class Counter: @unchecked Sendable {
        var files = 0
        var bytes: Int64 = 0
    }

    /// Writes the backup into `destination` (created; it must not exist or be empty).
    public func run(to destination: URL) throws -> BackupManifest {
        let fm = FileManager.default
        let dest = destination.standardizedFileURL
        let src = dataDirectory
        let dbPath = src.appendingPathComponent(MetadataStore.fileName).path
        guard fm.fileExists(atPath: dbPath) else { throw BackupError("\(src.path) holds no \(MetadataStore.fileName): not an Ingot data directory") }
        if fm.fileExists(atPath: dest.path), !BackupFiles.isEmptyDirectory(dest) { throw BackupError("\(dest.path) is not empty") }
        guard !dest.path.hasPrefix(src.path + "/"), dest.path != src.path else { throw BackupError("the backup folder must be outside the data directory") }
        let data = dest.appendingPathComponent("data")
        try fm.createDirectory(at: data, withIntermediateDirectories: true)
        let counter = Counter()
        func report(_ phase: String, _ current: String?) {
            progress?(BackupProgress(phase: phase, files: counter.files, bytes: counter.bytes, current: current))
        }
        var files: [BackupManifest.File] = []
        func add(_ rel: String, _ r: (size: Int64, sha256: String)) {
            files.append(.init(path: rel, size: r.size, sha256: r.sha256))
            counter.files += 1
            counter.bytes += r.size
            if counter.files % 50 == 0 { report("files", rel) }
        }
        func copyFile(_ rel: String, required: Bool = false) throws {
            if let r = try BackupFiles.copy(src.appendingPathComponent(rel), to: data.appendingPathComponent(rel)) {
                add(rel, r)
            } else if required {
                throw BackupError("\(rel) is missing from the data directory")
            }
        }

        // 1. The metadata snapshot.
        report("metadata", MetadataStore.fileName)
        let dbCopy = data.appendingPathComponent(MetadataStore.fileName)
        try MetadataBackup.copy(from: dbPath, to: dbCopy.path)
        let rows = try MetadataBackup.rows(at: dbCopy.path, "SELECT catalog_name, schema_name, name, storage_location, delta_version FROM catalog_tables ORDER BY 1, 2, 3")
        let dbSum = try BackupFiles.checksum(dbCopy)
        let metadataFile = BackupManifest.File(path: MetadataStore.fileName, size: dbSum.size, sha256: dbSum.sha256)
        counter.bytes += dbSum.size

        // 2. Catalog tables at the recorded version.
        var tables: [BackupManifest.Table] = []
        var copiedKeys = Set<String>()
        for r in rows {
            let name = [r[0] ?? "", r[1] ?? "", r[2] ?? ""].joined(separator: ".")
            let location = r[3] ?? ""
            let version = r[4].flatMap { Int64($0) }
            guard let key = objectKey(location) else {
                tables.append(.init(name: name, location: location, deltaVersion: nil, catalogVersion: version, dataFiles: 0, skipped: "location outside the data directory"))
                continue
            }
            guard !copiedKeys.contains(key) else { continue }
            copiedKeys.insert(key)
            report("tables", name)
            // The newest commit now (listed after the snapshot): at least the recorded version.
            let copied = [version, latestCommit(key: key)].compactMap { $0 }.max()
            let n = try copyTable(key: key, version: copied, copy: copyFile, write: { rel, d in add(rel, try BackupFiles.write(d, to: data.appendingPathComponent(rel))) })
            tables.append(.init(name: name, location: key, deltaVersion: copied, catalogVersion: version, dataFiles: n, skipped: nil))
        }

        // 3–4. The other areas.
        let top = ((try? fm.contentsOfDirectory(atPath: src.path)) ?? []).sorted()
        for entry in top {
            if entry.hasPrefix(MetadataStore.fileName) || Self.skippedAreas.contains(entry) { continue }
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: src.appendingPathComponent(entry).path, isDirectory: &isDir) else { continue }
            guard isDir.boolValue else {
                try copyFile(entry)
                continue
            }
            report("files", entry)
            // Delta tables in this area (folders holding a _delta_log) are copied by the table rule.
            let all = BackupFiles.files(under: src.appendingPathComponent(entry)).map { entry + "/" + $0 }
            var tableRoots = Set<String>()
            for f in all {
                let parts = f.split(separator: "/").map(String.init)
                if let i = parts.firstIndex(of: "_delta_log"), i > 0 { tableRoots.insert(parts[..<i].joined(separator: "/")) }
            }
            let outside = tableRoots.filter { !copiedKeys.contains($0) }
            for root in outside.sorted() {
                let latest = latestCommit(key: root)
                let n = try copyTable(key: root, version: latest, copy: copyFile, write: { rel, d in add(rel, try BackupFiles.write(d, to: data.appendingPathComponent(rel))) })
                tables.append(.init(name: root, location: root, deltaVersion: latest, catalogVersion: nil, dataFiles: n, skipped: nil))
            }
            for f in all where !tableRoots.contains(where: { f.hasPrefix($0 + "/") }) { try copyFile(f) }
        }
        let manifest = BackupManifest(format: BackupManifest.formatName, createdAt: Int64(Date().timeIntervalSince1970 * 1000), source: src.path,
                                      metadata: metadataFile, tables: tables, files: files)
        try manifest.write(to: dest)
        report("done", nil)
        return manifest
    }

    /// A table location as a path relative to the data directory (nil: outside it).
    func objectKey(_ location: String) -> String? {
        var path = location
        if path.hasPrefix("file://") { path = String(path.dropFirst(7)) }
        if path.hasPrefix("/") {
            let std = URL(fileURLWithPath: path).standardizedFileURL.path
            guard std.hasPrefix(dataDirectory.path + "/") else { return nil }
            path = String(std.dropFirst(dataDirectory.path.count + 1))
        }
        while path.hasSuffix("/") { path.removeLast() }
        guard !path.isEmpty, !path.split(separator: "/").contains("..") else { return nil }
        return path
    }

    /// The version of a `_delta_log` file name (`00000000000000000012.json`,
    /// `…12.checkpoint.parquet`, `…12.checkpoint.0000000001.0000000002.parquet`, `…12.crc`).
    static func logVersion(_ name: String) -> Int64? {
        let digits = name.prefix { $0.isNumber }
        guard digits.count == 20, name.dropFirst(20).hasPrefix(".") else { return nil }
        return Int64(digits)
    }

    func latestCommit(key: String) -> Int64? {
        let log = dataDirectory.appendingPathComponent(key).appendingPathComponent("_delta_log")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: log.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.compactMap(Self.logVersion).max()
    }

    /// Copies one Delta table at `version` (see the type's rule). Returns the data files copied.
    func copyTable(key: String, version: Int64?, copy: (String, Bool) throws -> Void, write: (String, Data) throws -> Void) throws -> Int {
        guard let v = version else { return 0 }
        let fm = FileManager.default
        let root = dataDirectory.appendingPathComponent(key)
        let logRel = key + "/_delta_log"
        // The commits up to v, read before anything is copied.
        var live: [String: Bool] = [:]  // path → live at v
        var order: [String] = []
        var logFiles: [String] = []
        for i in 0...v {
            let name = String(format: "%020lld.json", i)
            guard let text = fm.contents(atPath: root.appendingPathComponent("_delta_log/" + name).path) else {
                throw BackupError("\(key): Delta commit \(i) is missing (version \(v) is recorded)")
            }
            logFiles.append(name)
            for line in String(decoding: text, as: UTF8.self).split(whereSeparator: \.isNewline) {
                guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
                if let a = obj["add"] as? [String: Any], let p = a["path"] as? String {
                    if live[p] == nil { order.append(p) }
                    live[p] = true
                } else if let r = obj["remove"] as? [String: Any], let p = r["path"] as? String {
                    if live[p] == nil { order.append(p) }
                    live[p] = false
                }
            }
        }
        for name in ((try? fm.contentsOfDirectory(atPath: root.appendingPathComponent("_delta_log").path)) ?? []).sorted() {
            if name.hasSuffix(".json") { continue }
            if let n = Self.logVersion(name) {
                if n <= v { logFiles.append(name) }
            } else if name == "_last_checkpoint", let d = fm.contents(atPath: root.appendingPathComponent("_delta_log/_last_checkpoint").path),
                let obj = try? JSONSerialization.jsonObject(with: d) as? [String: Any], let n = (obj["version"] as? NSNumber)?.int64Value, n <= v
            {
                logFiles.append(name)
            }
        }
        var copied = 0
        for p in order where !p.contains("://") && !p.hasPrefix("/") {
            let rel = key + "/" + (p.removingPercentEncoding ?? p)
            let required = live[p] == true
            let before = fm.fileExists(atPath: dataDirectory.appendingPathComponent(rel).path)
            try copy(rel, required)
            if before { copied += 1 }
        }
        for name in logFiles { try copy(logRel + "/" + name, false) }
        // Iceberg metadata mirroring versions up to v.
        let meta = root.appendingPathComponent("metadata")
        var newest: Int64?
        for name in ((try? fm.contentsOfDirectory(atPath: meta.path)) ?? []).sorted() {
            if name == "version-hint.text" { continue }
            if name.hasPrefix("v"), name.hasSuffix(".metadata.json"), let n = Int64(name.dropFirst().dropLast(14)) {
                guard n <= v + 1 else { continue }
                newest = max(newest ?? n, n)
            }
            try copy(key + "/metadata/" + name, false)
        }
        if let newest { try write(key + "/metadata/version-hint.text", Data(String(newest).utf8)) }
        return copied
    }
}
