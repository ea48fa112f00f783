import Foundation

/// Copies a model version's artifacts into `<data dir>/serving/<endpoint>/<entity>-v<version>/`, once:
/// a finished copy carries a marker file, an unfinished one is replaced. Paths never leave the root.
public struct ModelCache: Sendable {
    public let root: URL
    static let marker = ".ingot-complete"

    public init(root: URL) { self.root = root.standardizedFileURL }

    public func directory(endpoint: String, entity: String, version: Int) throws -> URL {
        _ = try EndpointValidation.name(endpoint)
        _ = try EndpointValidation.name(entity, what: "Served entity name")
        let dir = root.appendingPathComponent(endpoint).appendingPathComponent("\(entity)-v\(version)").standardizedFileURL
        guard dir.path.hasPrefix(root.path + "/") else { throw ServingError.invalid("cache path escapes the serving directory") }
        return dir
    }

    /// Returns the cached copy of `source`, copying it first when needed.
    public func prepare(endpoint: String, entity: String, version: Int, source: URL) throws -> URL {
        let fm = FileManager.default
        let dir = try directory(endpoint: endpoint, entity: entity, version: version)
        if fm.fileExists(atPath: dir.appendingPathComponent(Self.marker).path) { return dir }
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: source.path, isDirectory: &isDir), isDir.boolValue else {
            throw ServingError(.modelLoad, "the model's artifacts are missing (expected a directory at \(source.lastPathComponent))")
        }
        let parent = dir.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent(".staging-\(UUID().uuidString)")
        do {
            try fm.copyItem(at: source, to: staging)
            _ = fm.createFile(atPath: staging.appendingPathComponent(Self.marker).path, contents: Data())
            if fm.fileExists(atPath: dir.path) { try fm.removeItem(at: dir) }
            try fm.moveItem(at: staging, to: dir)
        } catch {
            try? fm.removeItem(at: staging)
            throw ServingError(.modelLoad, "cannot copy the model's artifacts into the serving cache: \(error.localizedDescription)")
        }
        return dir
    }

    /// Removes an endpoint's cached models.
    public func remove(endpoint: String) {
        guard let dir = try? EndpointValidation.name(endpoint).isEmpty ? nil : root.appendingPathComponent(endpoint) else { return }
        try? FileManager.default.removeItem(at: dir)
    }
}
