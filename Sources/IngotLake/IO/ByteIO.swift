import Foundation
import IngotStorage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random access to the bytes of one file or object (Parquet footers and column chunks).
public protocol RandomAccessSource: Sendable {
    /// A name for error messages (a path or an object key).
    var name: String { get }
    var size: Int64 { get }
    /// Reads exactly `length` bytes at `offset`, or throws if the source is shorter.
    func read(offset: Int64, length: Int) async throws -> [UInt8]
}

/// A sequential destination for bytes (a file being written or an object upload).
public protocol ByteSink: Sendable {
    func write(_ bytes: [UInt8]) async throws
    /// Finishes the file; nothing is visible (for object stores) before this.
    func close() async throws
}

/// A local file read with `pread`.
public final class FileSource: RandomAccessSource, @unchecked Sendable {
    public let name: String
    public let size: Int64
    private let fd: Int32

    /// Opens a local file for reading.
    public init(path: String) throws {
        name = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LakeError.io("\(path): cannot open: \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw LakeError.io("\(path): not a regular file")
        }
        size = Int64(info.st_size)
    }

    deinit { close(fd) }

    public func read(offset: Int64, length: Int) async throws -> [UInt8] { try readSync(offset: offset, length: length) }

    /// Synchronous ranged read into `buffer` (at least `length` bytes).
    public func readSync(offset: Int64, length: Int, into buffer: UnsafeMutableRawPointer) throws {
        guard offset >= 0, length >= 0, offset + Int64(length) <= size else {
            throw LakeError.corrupt(file: name, detail: "range \(offset)+\(length) is outside the file (\(size) bytes)")
        }
        var done = 0
        while done < length {
            let n = pread(fd, buffer + done, length - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw LakeError.io("\(name): read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw LakeError.corrupt(file: name, detail: "file shrank while reading") }
            done += n
        }
    }

    /// Synchronous ranged read.
    public func readSync(offset: Int64, length: Int) throws -> [UInt8] {
        guard offset >= 0, length >= 0, offset + Int64(length) <= size else {
            throw LakeError.corrupt(file: name, detail: "range \(offset)+\(length) is outside the file (\(size) bytes)")
        }
        if length == 0 { return [] }
        return try [UInt8](unsafeUninitializedCapacity: length) { buf, count in
            var done = 0
            while done < length {
                let n = pread(fd, buf.baseAddress! + done, length - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw LakeError.io("\(name): read failed: \(String(cString: strerror(errno)))")
                }
                if n == 0 { throw LakeError.corrupt(file: name, detail: "file shrank while reading") }
                done += n
            }
            count = length
        }
    }
}

/// An in-memory source (tests, small objects).
public struct MemorySource: RandomAccessSource {
    public let name: String
    public let bytes: [UInt8]
    public var size: Int64 { Int64(bytes.count) }

    public init(_ bytes: [UInt8], name: String = "<memory>") {
        self.bytes = bytes
        self.name = name
    }

    public func read(offset: Int64, length: Int) async throws -> [UInt8] {
        guard offset >= 0, length >= 0, offset + Int64(length) <= size else {
            throw LakeError.corrupt(file: name, detail: "range \(offset)+\(length) is outside the file (\(size) bytes)")
        }
        return Array(bytes[Int(offset)..<Int(offset) + length])
    }
}

/// An object in the object store.
public struct ObjectSource: RandomAccessSource {
    public let name: String
    private let handle: any ObjectReadHandle
    public var size: Int64 { handle.size }

    /// Opens `key` in `store`.
    public init(store: any ObjectStore, key: String) async throws {
        handle = try await store.openRead(key)
        name = key
    }

    public func read(offset: Int64, length: Int) async throws -> [UInt8] {
        guard offset >= 0, length >= 0, offset + Int64(length) <= size else {
            throw LakeError.corrupt(file: name, detail: "range \(offset)+\(length) is outside the object (\(size) bytes)")
        }
        var out = try await handle.read(offset: offset, length: length)
        while out.count < length {
            let more = try await handle.read(offset: offset + Int64(out.count), length: length - out.count)
            if more.isEmpty { throw LakeError.corrupt(file: name, detail: "object shorter than expected") }
            out += more
        }
        return out
    }
}

/// A local file written sequentially (created or truncated).
public final class FileSink: ByteSink, @unchecked Sendable {
    public let path: String
    private var fd: Int32
    private var buffer: [UInt8] = []

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LakeError.io("\(path): cannot create: \(String(cString: strerror(errno)))") }
        buffer.reserveCapacity(1 << 20)
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public func write(_ bytes: [UInt8]) async throws { try writeSync(bytes) }

    public func writeSync(_ bytes: [UInt8]) throws {
        if buffer.count + bytes.count < 1 << 20 {
            buffer += bytes
            return
        }
        try flush()
        if bytes.count >= 1 << 20 { try writeAll(bytes) } else { buffer += bytes }
    }

    private func flush() throws {
        if buffer.isEmpty { return }
        try writeAll(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw LakeError.io("\(path): write failed: \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }
    }

    public func close() async throws {
        try flush()
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }
}

/// An object-store upload, committed on close.
public struct ObjectSink: ByteSink {
    private let upload: any ObjectUpload

    public init(store: any ObjectStore, key: String) async throws { upload = try await store.beginUpload(key) }

    public func write(_ bytes: [UInt8]) async throws { try await upload.write(bytes) }
    public func close() async throws { try await upload.commit() }
}

/// Collects bytes in memory (tests).
public final class MemorySink: ByteSink, @unchecked Sendable {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public func write(_ bytes: [UInt8]) async throws { self.bytes += bytes }
    public func close() async throws {}
}
