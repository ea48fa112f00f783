import Foundation

/// Size and modification time of a stored object, or a "directory" (common prefix) in a listing.
public struct ObjectInfo: Sendable, Hashable {
    public let key: String
    public let size: Int64
    public let modified: Date
    public let isDirectory: Bool

    public init(key: String, size: Int64, modified: Date, isDirectory: Bool = false) {
        self.key = key
        self.size = size
        self.modified = modified
        self.isDirectory = isDirectory
    }
}

/// Random access to one stored object: ranged reads serve both HTTP streaming and Parquet footers.
public protocol ObjectReadHandle: Sendable {
    var size: Int64 { get }
    /// Reads up to `length` bytes at `offset`; fewer only at the end of the object.
    func read(offset: Int64, length: Int) async throws -> [UInt8]
    func close() async
}

extension ObjectReadHandle {
    /// Hands the object to `body` from its start, in order, in chunks of at most `chunkSize` bytes.
    /// - Parameters:
    ///   - chunkSize: the most bytes one read asks for (1 MiB).
    ///   - body: gets each chunk; an error it throws ends the reading.
    public func forEachChunk(of chunkSize: Int = 1 << 20, _ body: ([UInt8]) async throws -> Void) async throws {
        var offset: Int64 = 0
        while offset < size {
            let chunk = try await read(offset: offset, length: chunkSize)
            if chunk.isEmpty { break }
            try await body(chunk)
            offset += Int64(chunk.count)
        }
    }

    /// The whole object in memory. Use ``forEachChunk(of:_:)`` for anything that may be large.
    public func readAll() async throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Int(size))
        try await forEachChunk { out += $0 }
        return out
    }
}

/// An object being written in pieces. Nothing is visible under the key until `commit`.
public protocol ObjectUpload: Sendable {
    func write(_ bytes: [UInt8]) async throws
    /// Makes the object visible, replacing any existing one. Returns the size written.
    @discardableResult func commit() async throws -> Int64
    /// Makes the object visible only if no object exists under the key; returns false (and
    /// discards the upload) if one does. Atomic across processes: of concurrent callers exactly one wins.
    func commitIfAbsent() async throws -> Bool
    func abort() async
}

/// Where table files, volumes and artifacts live. The local filesystem is the embedded default;
/// an S3-compatible implementation can replace it without touching the modules.
///
/// Keys are `/`-separated relative paths (`artifacts/3/<run>/model/MLmodel`); implementations
/// reject any key that could escape the store (``ObjectKey``).
public protocol ObjectStore: Sendable {
    func beginUpload(_ key: String) async throws -> any ObjectUpload
    func openRead(_ key: String) async throws -> any ObjectReadHandle
    func head(_ key: String) async throws -> ObjectInfo?
    func delete(_ key: String) async throws
    /// Deletes every object under a prefix (a "directory"); returns how many were removed.
    @discardableResult func deleteAll(prefix: String) async throws -> Int
    /// Objects under `prefix`. With `recursive: false`, deeper levels are folded into directory entries.
    func list(prefix: String, recursive: Bool) async throws -> [ObjectInfo]
}

extension ObjectStore {
    /// Writes a whole object atomically (replacing any existing one).
    public func put(_ key: String, _ bytes: [UInt8]) async throws {
        let upload = try await beginUpload(key)
        do {
            try await upload.write(bytes)
            try await upload.commit()
        } catch {
            await upload.abort()
            throw error
        }
    }

    public func put(_ key: String, _ data: Data) async throws { try await put(key, [UInt8](data)) }

    /// Writes a whole object only if the key is free; returns whether this call created it.
    public func putIfAbsent(_ key: String, _ bytes: [UInt8]) async throws -> Bool {
        let upload = try await beginUpload(key)
        do {
            try await upload.write(bytes)
            return try await upload.commitIfAbsent()
        } catch {
            await upload.abort()
            throw error
        }
    }

    /// Streams an async sequence of byte chunks into an object; returns the size written.
    @discardableResult
    public func put<S: AsyncSequence>(_ key: String, chunks: S) async throws -> Int64 where S.Element == [UInt8] {
        let upload = try await beginUpload(key)
        do {
            for try await chunk in chunks { try await upload.write(chunk) }
            return try await upload.commit()
        } catch {
            await upload.abort()
            throw error
        }
    }

    /// Reads a whole object into memory. Use `openRead` for anything that may be large.
    public func get(_ key: String) async throws -> [UInt8] {
        let handle = try await openRead(key)
        let out = try await handle.readAll()
        await handle.close()
        return out
    }
}

/// Validation of object keys, shared by every implementation so the rules are the same everywhere.
public enum ObjectKey {
    public static let maxLength = 1024

    /// Checks that a key is a clean relative path: no empty, `.` or `..` segments, no absolute
    /// path, NUL or backslash. Returns its segments.
    public static func validate(_ key: String, allowEmpty: Bool = false) throws -> [Substring] {
        if key.isEmpty {
            if allowEmpty { return [] }
            throw StorageError.invalidKey("object key must not be empty")
        }
        guard key.utf8.count <= maxLength else { throw StorageError.invalidKey("object key is longer than \(maxLength) bytes") }
        guard !key.hasPrefix("/") else { throw StorageError.invalidKey("object key '\(key)' must be relative") }
        guard !key.contains("\0") else { throw StorageError.invalidKey("object key contains a NUL byte") }
        guard !key.contains("\\") else { throw StorageError.invalidKey("object key '\(key)' contains a backslash") }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        for segment in segments {
            if segment.isEmpty { throw StorageError.invalidKey("object key '\(key)' has an empty path segment") }
            if segment == "." || segment == ".." { throw StorageError.invalidKey("object key '\(key)' contains '\(segment)'") }
            if segment.utf8.count > 255 { throw StorageError.invalidKey("object key segment longer than 255 bytes") }
        }
        return segments
    }

    /// Joins key parts, validating the result.
    public static func join(_ parts: String...) throws -> String {
        let key = parts.filter { !$0.isEmpty }.joined(separator: "/")
        _ = try validate(key)
        return key
    }
}
