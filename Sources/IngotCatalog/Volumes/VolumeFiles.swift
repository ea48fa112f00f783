import Foundation
import IngotCore
import IngotStorage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One entry of a volume: a file or a directory.
public struct VolumeEntry: Sendable, Equatable {
    public let name: String
    public let isDirectory: Bool
    public let size: Int64
    /// Milliseconds since the epoch.
    public let modified: Int64
}

/// The files of one volume in a local directory (managed: `<data-dir>/volumes/<c>/<s>/<v>`; external:
/// a directory under an external location). Every path is resolved segment by segment with `lstat`
/// and refused if any component is a symlink, so nothing reaches outside the root. Writes stream into
/// a hidden staging file beside the target and are renamed (or, without overwrite, hard-linked, which
/// fails atomically when the name is taken) into place after an fsync.
public struct VolumeFiles: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    /// The absolute path of `segments`, checking every existing component is not a symlink.
    public func resolve(_ segments: [String]) throws -> String {
        var path = root
        var info = stat()
        guard lstat(root, &info) == 0 else { throw VolumeFileError.notFound("the volume's directory \(root) does not exist") }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw VolumeFileError.io("the volume's directory \(root) is not a directory") }
        for (i, segment) in segments.enumerated() {
            path += "/" + segment
            guard lstat(path, &info) == 0 else { continue }
            let kind = info.st_mode & S_IFMT
            if kind == S_IFLNK { throw VolumeFileError.invalidPath("'\(segments.prefix(i + 1).joined(separator: "/"))' is a symbolic link: links cannot be followed out of a volume") }
            if i < segments.count - 1, kind != S_IFDIR { throw VolumeFileError.invalidPath("'\(segments.prefix(i + 1).joined(separator: "/"))' is a file, not a directory") }
        }
        return path
    }

    public func entry(_ segments: [String]) throws -> VolumeEntry? {
        let path = try resolve(segments)
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG || kind == S_IFDIR else { return nil }
        return VolumeEntry(name: segments.last ?? "", isDirectory: kind == S_IFDIR, size: kind == S_IFREG ? Int64(info.st_size) : 0, modified: Self.millis(info.st_mtim))
    }

    /// A directory's entries sorted by name (staging files, symlinks and special files left out).
    public func list(_ segments: [String]) throws -> [VolumeEntry] {
        let path = try resolve(segments)
        var info = stat()
        guard lstat(path, &info) == 0 else { throw VolumeFileError.notFound("directory '\(segments.joined(separator: "/"))' does not exist") }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw VolumeFileError.invalidPath("'\(segments.joined(separator: "/"))' is a file, not a directory") }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        var out: [VolumeEntry] = []
        for name in names where !name.hasPrefix(VolumePath.stagingPrefix) {
            var child = stat()
            guard lstat(path + "/" + name, &child) == 0 else { continue }
            let kind = child.st_mode & S_IFMT
            guard kind == S_IFREG || kind == S_IFDIR else { continue }
            out.append(VolumeEntry(name: name, isDirectory: kind == S_IFDIR, size: kind == S_IFREG ? Int64(child.st_size) : 0, modified: Self.millis(child.st_mtim)))
        }
        return out.sorted { $0.name < $1.name }
    }

    /// Every file below a directory, depth first, as relative segment lists.
    public func walkFiles(_ segments: [String]) throws -> [[String]] {
        var out: [[String]] = []
        for e in try list(segments) {
            if e.isDirectory { out += try walkFiles(segments + [e.name]) } else { out.append(segments + [e.name]) }
        }
        return out
    }

    /// Creates a directory and its parents; an existing directory is fine, a file in the way is not.
    public func makeDirectory(_ segments: [String]) throws {
        for i in segments.indices {
            let path = try resolve(Array(segments.prefix(i + 1)))
            var info = stat()
            if lstat(path, &info) == 0 {
                guard (info.st_mode & S_IFMT) == S_IFDIR else {
                    throw VolumeFileError.alreadyExists("'\(segments.prefix(i + 1).joined(separator: "/"))' exists and is a file")
                }
                continue
            }
            if mkdir(path, 0o755) != 0 && errno != EEXIST { throw VolumeFileError.io("cannot create directory: \(String(cString: strerror(errno)))") }
        }
    }

    /// Deletes a file (not a directory).
    public func deleteFile(_ segments: [String]) throws {
        guard !segments.isEmpty else { throw VolumeFileError.invalidPath("the volume root is not a file") }
        let path = try resolve(segments)
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR else {
            if (info.st_mode & S_IFMT) == S_IFDIR { throw VolumeFileError.invalidPath("'\(segments.joined(separator: "/"))' is a directory: delete it with the directories API") }
            throw VolumeFileError.notFound("file '\(segments.joined(separator: "/"))' does not exist")
        }
        if unlink(path) != 0 { throw VolumeFileError.io("cannot delete: \(String(cString: strerror(errno)))") }
    }

    /// Deletes an empty directory (never the volume root).
    public func deleteDirectory(_ segments: [String]) throws {
        guard !segments.isEmpty else { throw VolumeFileError.invalidPath("the volume root cannot be deleted; delete the volume instead") }
        let path = try resolve(segments)
        var info = stat()
        guard lstat(path, &info) == 0 else { throw VolumeFileError.notFound("directory '\(segments.joined(separator: "/"))' does not exist") }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw VolumeFileError.invalidPath("'\(segments.joined(separator: "/"))' is a file, not a directory") }
        if rmdir(path) != 0 {
            if errno == ENOTEMPTY || errno == EEXIST { throw VolumeFileError.notEmpty("directory '\(segments.joined(separator: "/"))' is not empty") }
            throw VolumeFileError.io("cannot delete directory: \(String(cString: strerror(errno)))")
        }
    }

    /// Starts writing a file. The parent directories are created; nothing is visible until commit.
    public func beginUpload(_ segments: [String], overwrite: Bool) throws -> VolumeUpload {
        guard let name = segments.last else { throw VolumeFileError.invalidPath("a file path needs a name below the volume") }
        try makeDirectory(Array(segments.dropLast()))
        let target = try resolve(segments)
        var info = stat()
        if lstat(target, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR { throw VolumeFileError.alreadyExists("'\(segments.joined(separator: "/"))' is a directory") }
            if !overwrite { throw VolumeFileError.alreadyExists("the file '\(segments.joined(separator: "/"))' already exists") }
        }
        let temp = (target as NSString).deletingLastPathComponent + "/" + VolumePath.stagingPrefix + IDGenerator.hex32()
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw VolumeFileError.io("cannot create a staging file for \(name): \(String(cString: strerror(errno)))") }
        return VolumeUpload(fd: fd, temp: temp, target: target, display: segments.joined(separator: "/"), overwrite: overwrite)
    }

    /// Opens a file for ranged reads.
    public func openRead(_ segments: [String]) throws -> VolumeReadHandle {
        let path = try resolve(segments)
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw VolumeFileError.notFound("file '\(segments.joined(separator: "/"))' does not exist") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw VolumeFileError.notFound("file '\(segments.joined(separator: "/"))' does not exist (it is a directory)")
        }
        return VolumeReadHandle(fd: fd, size: Int64(info.st_size), modified: Self.millis(info.st_mtim))
    }

    /// Removes the root and everything in it (managed volume deletion).
    public func removeAll() throws {
        var info = stat()
        guard lstat(root, &info) == 0 else { return }
        try FileManager.default.removeItem(atPath: root)
    }

    static func millis(_ t: timespec) -> Int64 { Int64(t.tv_sec) * 1000 + Int64(t.tv_nsec) / 1_000_000 }
}

/// A file being written into a volume; `write` calls are sequential by contract.
public final class VolumeUpload: @unchecked Sendable {
    let fd: Int32
    let temp: String
    let target: String
    let display: String
    let overwrite: Bool
    private var closed = false
    public private(set) var written: Int64 = 0

    init(fd: Int32, temp: String, target: String, display: String, overwrite: Bool) {
        self.fd = fd
        self.temp = temp
        self.target = target
        self.display = display
        self.overwrite = overwrite
    }

    deinit { if !closed { close(fd); unlink(temp) } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var base = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(fd, base, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw VolumeFileError.io("cannot write \(display): \(String(cString: strerror(errno)))")
            }
            left -= n
            base += n
            written += Int64(n)
        }
    }

    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Makes the file visible; without overwrite, fails if the name was taken meanwhile.
    public func commit() throws {
        guard !closed else { return }
        closed = true
        let synced = fsync(fd) == 0
        close(fd)
        guard synced else {
            unlink(temp)
            throw VolumeFileError.io("cannot write \(display): \(String(cString: strerror(errno)))")
        }
        if overwrite {
            if rename(temp, target) != 0 {
                let message = String(cString: strerror(errno))
                unlink(temp)
                throw VolumeFileError.io("cannot store \(display): \(message)")
            }
        } else {
            defer { unlink(temp) }
            if link(temp, target) != 0 {
                if errno == EEXIST { throw VolumeFileError.alreadyExists("the file '\(display)' already exists") }
                throw VolumeFileError.io("cannot store \(display): \(String(cString: strerror(errno)))")
            }
        }
    }

    public func abort() {
        guard !closed else { return }
        closed = true
        close(fd)
        unlink(temp)
    }
}

/// An open volume file read by ranges (HTTP streaming, Range requests, CLI downloads).
public final class VolumeReadHandle: @unchecked Sendable {
    let fd: Int32
    public let size: Int64
    public let modified: Int64

    init(fd: Int32, size: Int64, modified: Int64) {
        self.fd = fd
        self.size = size
        self.modified = modified
    }

    deinit { close(fd) }

    public func read(offset: Int64, length: Int) throws -> [UInt8] {
        let count = Int(max(0, min(Int64(length), size - offset)))
        guard count > 0 else { return [] }
        do throws(PositionalReadError) {
            return try preadFully(fd, offset: offset, count: count)
        } catch {
            throw VolumeFileError.io("cannot read: \(error.message)")
        }
    }
}
