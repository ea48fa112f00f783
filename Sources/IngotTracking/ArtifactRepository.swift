import Foundation
import IngotStorage

/// One entry of an artifact listing, in MLflow's FileInfo shape (directories omit `file_size`).
public struct ArtifactFileInfo: Codable, Sendable, Equatable {
    public var path: String
    public var is_dir: Bool
    public var file_size: Int64?
}

/// MLflow artifacts on the shared object store. Every artifact lives under `artifacts/`, addressed
/// by the path after `mlflow-artifacts:/` (e.g. `3/<run>/artifacts/model/MLmodel`); paths are
/// validated so none can leave that root.
public struct ArtifactRepository: Sendable {
    public let objects: any ObjectStore
    static let root = "artifacts"

    public init(objects: any ObjectStore) {
        self.objects = objects
    }

    /// Validates a relative artifact path: no `..`, `.`, empty segments, absolute paths, NUL or backslash.
    public static func cleanPath(_ raw: String, allowEmpty: Bool = true) throws -> String {
        var path = raw
        while path.hasSuffix("/") { path.removeLast() }
        if path.isEmpty {
            if allowEmpty { return "" }
            throw TrackingError.invalidParameter("Invalid path: the artifact path must not be empty")
        }
        guard !path.hasPrefix("/"), !path.contains("\0"), !path.contains("\\"), !path.contains("://") else {
            throw TrackingError.invalidParameter("Invalid path: '\(raw)'")
        }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty || segment == "." || segment == ".." {
                throw TrackingError.invalidParameter("Invalid path: '\(raw)'")
            }
        }
        return path
    }

    /// The object key for a proxy path (`<exp>/<run>/artifacts/...`).
    public static func key(forProxyPath path: String) throws -> String {
        let clean = try cleanPath(path)
        return clean.isEmpty ? root : root + "/" + clean
    }

    /// The proxy path (relative to `mlflow-artifacts:/`) of an artifact URI the server assigned.
    public static func proxyPath(forURI uri: String) throws -> String {
        for prefix in ["mlflow-artifacts:///", "mlflow-artifacts:/"] where uri.hasPrefix(prefix) {
            var rest = String(uri.dropFirst(prefix.count))
            // `mlflow-artifacts://host:port/path` carries an authority; drop it.
            if prefix == "mlflow-artifacts:/" && rest.hasPrefix("/") {
                rest = String(rest.dropFirst())
                if let slash = rest.firstIndex(of: "/") { rest = String(rest[rest.index(after: slash)...]) } else { rest = "" }
            }
            return try cleanPath(rest)
        }
        throw TrackingError.invalidParameter("Artifact URI '\(uri)' is not served by this server (expected mlflow-artifacts:/...)")
    }

    /// The proxy path of `relative` inside the artifact root `uri`.
    public static func proxyPath(root uri: String, relative: String?) throws -> String {
        let base = try proxyPath(forURI: uri)
        let rel = try cleanPath(relative ?? "")
        if rel.isEmpty { return base }
        return base.isEmpty ? rel : base + "/" + rel
    }

    /// Lists one directory level under a proxy path, paths relative to it (`basenameOnly`) or to `relativeTo`.
    public func list(proxyPath: String, relativeTo base: String? = nil) async throws -> [ArtifactFileInfo] {
        let key = try Self.key(forProxyPath: proxyPath)
        let entries = try await objects.list(prefix: key, recursive: false)
        let prefixLength = (base.map { try? Self.key(forProxyPath: $0) } ?? key).map { $0.count + 1 } ?? key.count + 1
        var out: [ArtifactFileInfo] = []
        for entry in entries {
            // A listing of a file path returns the file itself; report it by its name.
            let relative: String
            if entry.key == key {
                relative = base == nil ? (key as NSString).lastPathComponent : String(entry.key.dropFirst(prefixLength))
            } else if entry.key.count > prefixLength {
                relative = String(entry.key.dropFirst(prefixLength))
            } else {
                continue
            }
            out.append(ArtifactFileInfo(path: relative, is_dir: entry.isDirectory, file_size: entry.isDirectory ? nil : entry.size))
        }
        return out.sorted { $0.path < $1.path }
    }

    public func beginUpload(proxyPath: String) async throws -> any ObjectUpload {
        try await objects.beginUpload(try Self.key(forProxyPath: try Self.cleanPath(proxyPath, allowEmpty: false)))
    }

    public func openRead(proxyPath: String) async throws -> any ObjectReadHandle {
        let key = try Self.key(forProxyPath: try Self.cleanPath(proxyPath, allowEmpty: false))
        do {
            return try await objects.openRead(key)
        } catch let error as StorageError {
            if case .notFound = error { throw TrackingError.notFound("File not found: \(proxyPath)") }
            throw error
        }
    }

    public func head(proxyPath: String) async throws -> ObjectInfo? {
        try await objects.head(try Self.key(forProxyPath: try Self.cleanPath(proxyPath, allowEmpty: false)))
    }

    /// Deletes a file or a whole directory.
    public func delete(proxyPath: String) async throws {
        let key = try Self.key(forProxyPath: try Self.cleanPath(proxyPath, allowEmpty: false))
        if try await objects.head(key) != nil {
            try await objects.delete(key)
        } else {
            try await objects.deleteAll(prefix: key)
        }
    }

    public func put(proxyPath: String, bytes: [UInt8]) async throws {
        try await objects.put(try Self.key(forProxyPath: try Self.cleanPath(proxyPath, allowEmpty: false)), bytes)
    }

    public func get(proxyPath: String) async throws -> [UInt8] {
        let handle = try await openRead(proxyPath: proxyPath)
        let out = try await handle.readAll()
        await handle.close()
        return out
    }

    // MARK: - Multipart uploads (parts staged under `artifacts/.mpu/<upload id>/`)

    static func validUploadID(_ id: String) throws -> String {
        guard id.count == 32, id.allSatisfy({ $0.isHexDigit }) else { throw TrackingError.invalidParameter("Invalid upload_id '\(id)'") }
        return id.lowercased()
    }

    static func partKey(uploadID: String, part: Int) throws -> String {
        guard part >= 1, part <= 10000 else { throw TrackingError.invalidParameter("Invalid part number \(part)") }
        return "\(root)/.mpu/\(try validUploadID(uploadID))/\(part)"
    }

    public func beginPartUpload(uploadID: String, part: Int) async throws -> any ObjectUpload {
        try await objects.beginUpload(try Self.partKey(uploadID: uploadID, part: part))
    }

    /// Concatenates the staged parts, in order, into the final object (streaming) and drops them.
    public func completeMultipart(proxyPath: String, uploadID: String, parts: [Int]) async throws {
        let upload = try await beginUpload(proxyPath: proxyPath)
        do {
            for part in parts.sorted() {
                let handle: any ObjectReadHandle
                do {
                    handle = try await objects.openRead(try Self.partKey(uploadID: uploadID, part: part))
                } catch {
                    throw TrackingError.invalidParameter("Part \(part) of upload \(uploadID) was not uploaded")
                }
                try await handle.forEachChunk { try await upload.write($0) }
                await handle.close()
            }
            try await upload.commit()
        } catch {
            await upload.abort()
            throw error
        }
        try await abortMultipart(uploadID: uploadID)
    }

    public func abortMultipart(uploadID: String) async throws {
        try await objects.deleteAll(prefix: "\(Self.root)/.mpu/\(try Self.validUploadID(uploadID))")
    }

    /// MIME type by file extension, as MLflow's server guesses it.
    public static func mimeType(for path: String) -> String {
        let ext = (path as NSString).pathExtension.lowercased()
        switch ext {
        case "json": return "application/json"
        case "txt", "log", "md", "py", "yaml", "yml", "mlmodel", "": return "text/plain"
        case "csv": return "text/csv"
        case "html", "htm": return "text/plain"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "svg": return "text/plain"
        case "pdf": return "application/pdf"
        case "parquet": return "application/octet-stream"
        default: return "application/octet-stream"
        }
    }
}
