import Foundation
import IngotCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The embedded object store: files under the data directory.
///
/// Every write goes to a temporary file in the same filesystem, is fsynced, then renamed (or,
/// for put-if-absent, hard-linked, which fails atomically if the target exists — so concurrent
/// committers in any number of processes can never both win). Keys are validated and no path
/// component may be a symlink, so nothing can escape the root.
public struct LocalObjectStore: ObjectStore {
    public let root: URL
    private let staging: URL
    /// Top-level folders keys may start with; others (the metadata database, staging) are off limits.
    private let allowedTopLevel: Set<String>?

    /// The top-level folders of the data directory that hold objects.
    public static let dataDirectoryAreas: Set<String> = ["warehouse", "volumes", "artifacts", "serving"]

    /// - Parameters:
    ///   - root: the data directory.
    ///   - allowedTopLevel: first key segments that are accepted; nil accepts any.
    public init(root: URL, allowedTopLevel: Set<String>? = LocalObjectStore.dataDirectoryAreas) throws {
        self.root = root.standardizedFileURL
        self.staging = self.root.appendingPathComponent("tmp", isDirectory: true)
        self.allowedTopLevel = allowedTopLevel
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw StorageError.io("cannot create \(staging.path): \(error.localizedDescription)")
        }
    }

    /// Removes staging files left by writers that died before commit (kill -9, power loss).
    /// Only files older than `olderThan` go, so uploads still running in another process survive.
    @discardableResult
    public func removeAbandonedUploads(olderThan age: TimeInterval = 3600) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: staging.path)) ?? []
        let cutoff = Date().addingTimeInterval(-age)
        var removed = 0
        for name in names where name.hasPrefix("upload-") {
            let path = staging.path + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Self.date(info.st_mtim) < cutoff else { continue }
            if unlink(path) == 0 { removed += 1 }
        }
        return removed
    }

    /// Resolves a key to a path, rejecting keys that are malformed, outside the allowed areas,
    /// or that pass through a symlink.
    func path(for key: String, allowEmpty: Bool = false) throws -> String {
        let segments = try ObjectKey.validate(key, allowEmpty: allowEmpty)
        if let allowed = allowedTopLevel, let first = segments.first, !allowed.contains(String(first)) {
            throw StorageError.invalidKey("object key '\(key)' is outside the object areas")
        }
        var path = root.path
        for segment in segments {
            path += "/" + segment
            var info = stat()
            if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK {
                throw StorageError.invalidKey("object key '\(key)' passes through a symbolic link")
            }
        }
        return path
    }

    public func beginUpload(_ key: String) async throws -> any ObjectUpload {
        let target = try path(for: key)
        let temp = staging.path + "/upload-" + IDGenerator.hex32()
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError.io("cannot create staging file: \(errnoText())") }
        return LocalUpload(fd: fd, tempPath: temp, targetPath: target, key: key, store: self)
    }

    public func openRead(_ key: String) async throws -> any ObjectReadHandle {
        let path = try self.path(for: key)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw StorageError.notFound("object '\(key)' does not exist") }
            throw StorageError.io("cannot open '\(key)': \(errnoText())")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            Glibc.close(fd)
            throw StorageError.notFound("object '\(key)' does not exist")
        }
        return LocalReadHandle(fd: fd, size: Int64(info.st_size))
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        let path = try self.path(for: key)
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return ObjectInfo(key: key, size: Int64(info.st_size), modified: Self.date(info.st_mtim))
    }

    public func delete(_ key: String) async throws {
        let path = try self.path(for: key)
        if unlink(path) != 0 && errno != ENOENT {
            throw StorageError.io("cannot delete '\(key)': \(errnoText())")
        }
    }

    public func deleteAll(prefix: String) async throws -> Int {
        let trimmed = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        let objects = try await list(prefix: trimmed, recursive: true)
        for object in objects { try await delete(object.key) }
        if !trimmed.isEmpty {
            let dir = try path(for: trimmed)
            try? FileManager.default.removeItem(atPath: dir)
        }
        return objects.count
    }

    public func list(prefix: String, recursive: Bool) async throws -> [ObjectInfo] {
        let trimmed = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        let base = try path(for: trimmed, allowEmpty: allowedTopLevel == nil)
        var info = stat()
        guard lstat(base, &info) == 0 else { return [] }
        if (info.st_mode & S_IFMT) == S_IFREG {
            return [ObjectInfo(key: trimmed, size: Int64(info.st_size), modified: Self.date(info.st_mtim))]
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { return [] }
        var results: [ObjectInfo] = []
        try walk(directory: base, keyPrefix: trimmed, recursive: recursive, into: &results)
        return results.sorted { $0.key < $1.key }
    }

    private func walk(directory: String, keyPrefix: String, recursive: Bool, into results: inout [ObjectInfo]) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw StorageError.io("cannot list '\(keyPrefix)': \(error.localizedDescription)")
        }
        for name in names {
            let full = directory + "/" + name
            let key = keyPrefix.isEmpty ? name : keyPrefix + "/" + name
            if keyPrefix.isEmpty, let allowed = allowedTopLevel, !allowed.contains(name) { continue }
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                results.append(ObjectInfo(key: key, size: Int64(info.st_size), modified: Self.date(info.st_mtim)))
            case S_IFDIR:
                if recursive {
                    try walk(directory: full, keyPrefix: key, recursive: true, into: &results)
                } else {
                    results.append(ObjectInfo(key: key, size: 0, modified: Self.date(info.st_mtim), isDirectory: true))
                }
            default:
                continue  // symlinks and special files are never part of the store
            }
        }
    }

    /// Creates the parent directories of a target path and fsyncs each new one's parent so the
    /// directory entries survive a crash.
    func prepareParent(of target: String) throws {
        let parent = (target as NSString).deletingLastPathComponent
        var info = stat()
        if stat(parent, &info) == 0 { return }
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw StorageError.io("cannot create directory for object: \(error.localizedDescription)")
        }
        var dir = parent
        while dir.count > root.path.count {
            let up = (dir as NSString).deletingLastPathComponent
            Self.fsyncDirectory(up)
            dir = up
        }
    }

    static func fsyncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            Glibc.close(fd)
        }
    }

    static func date(_ time: timespec) -> Date {
        Date(timeIntervalSince1970: TimeInterval(time.tv_sec) + TimeInterval(time.tv_nsec) / 1e9)
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }

/// A staged upload: bytes go to a private temp file until commit.
final class LocalUpload: ObjectUpload, @unchecked Sendable {
    // The file descriptor is owned by this upload alone and used by one task at a time
    // (writes are sequential by contract), hence @unchecked.
    private var fd: Int32
    private let tempPath: String
    private let targetPath: String
    private let key: String
    private let store: LocalObjectStore
    private var written: Int64 = 0

    init(fd: Int32, tempPath: String, targetPath: String, key: String, store: LocalObjectStore) {
        self.fd = fd
        self.tempPath = tempPath
        self.targetPath = targetPath
        self.key = key
        self.store = store
    }

    deinit {
        if fd >= 0 {
            Glibc.close(fd)
            unlink(tempPath)
        }
    }

    func write(_ bytes: [UInt8]) async throws {
        guard fd >= 0 else { throw StorageError.io("upload of '\(key)' is already finished") }
        var offset = 0
        try bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw StorageError.io("cannot write '\(key)': \(errnoText())")
                }
                offset += n
            }
        }
        written += Int64(bytes.count)
    }

    private func finishFile() throws {
        guard fd >= 0 else { throw StorageError.io("upload of '\(key)' is already finished") }
        if fsync(fd) != 0 { throw StorageError.io("cannot sync '\(key)': \(errnoText())") }
        Glibc.close(fd)
        fd = -1
        try store.prepareParent(of: targetPath)
    }

    func commit() async throws -> Int64 {
        try finishFile()
        var info = stat()
        if lstat(targetPath, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            unlink(tempPath)
            throw StorageError.alreadyExists("'\(key)' is a directory")
        }
        if rename(tempPath, targetPath) != 0 {
            let message = errnoText()
            unlink(tempPath)
            throw StorageError.io("cannot commit '\(key)': \(message)")
        }
        LocalObjectStore.fsyncDirectory((targetPath as NSString).deletingLastPathComponent)
        return written
    }

    func commitIfAbsent() async throws -> Bool {
        try finishFile()
        defer { unlink(tempPath) }
        if link(tempPath, targetPath) != 0 {
            if errno == EEXIST { return false }
            throw StorageError.io("cannot commit '\(key)': \(errnoText())")
        }
        LocalObjectStore.fsyncDirectory((targetPath as NSString).deletingLastPathComponent)
        return true
    }

    func abort() async {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
        unlink(tempPath)
    }
}

/// A read-only descriptor; `pread` keeps concurrent ranged reads independent.
final class LocalReadHandle: ObjectReadHandle, @unchecked Sendable {
    // pread does not move a shared offset, so concurrent reads on one descriptor are safe.
    private let fd: Int32
    let size: Int64

    init(fd: Int32, size: Int64) {
        self.fd = fd
        self.size = size
    }

    deinit { Glibc.close(fd) }

    func read(offset: Int64, length: Int) async throws -> [UInt8] {
        guard offset >= 0, length >= 0 else { throw StorageError.io("invalid read range") }
        let count = Int(max(0, min(Int64(length), size - offset)))
        if count == 0 { return [] }
        do throws(PositionalReadError) {
            return try preadFully(fd, offset: offset, count: count)
        } catch {
            throw StorageError.io("read failed: \(error.message)")
        }
    }

    func close() async {}
}
