import Foundation
import IngotCore
import IngotStorage

/// Volumes and external locations as the server and pipelines use them: creating a managed volume
/// makes its directory under `<data-dir>/volumes/`, an external one must lie under an external
/// location (when the allow-list is enforced, i.e. with authentication on), and every file path is
/// turned into a ``VolumeFiles`` view of the volume's directory.
public struct VolumeService: DroppedVolumeFiles {
    public let store: VolumeStore
    public let dataDirectory: String
    /// With authentication on, local directories outside the data directory must lie under an
    /// external location; with it off (the embedded default) any directory is admitted.
    public let enforceAllowList: Bool

    public init(store: VolumeStore, dataDirectory: URL, enforceAllowList: Bool) {
        self.store = store
        self.dataDirectory = VolumeLocations.localPath(dataDirectory.path) ?? dataDirectory.standardizedFileURL.path
        self.enforceAllowList = enforceAllowList
    }

    public func managedDirectory(catalog: String, schema: String, volume: String) -> String {
        "\(dataDirectory)/volumes/\(catalog)/\(schema)/\(volume)"
    }

    var now: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: volumes

    public func create(catalog rawCatalog: String, schema rawSchema: String, name rawName: String, type: VolumeRecord.VolumeType,
                       storageLocation: String?, comment: String?, owner: String) async throws -> VolumeRecord {
        let catalog = try NameRules.identifier(rawCatalog, what: "catalog")
        let schema = try NameRules.identifier(rawSchema, what: "schema")
        let name = try NameRules.identifier(rawName, what: "volume")
        let directory: String
        switch type {
        case .managed:
            if let storageLocation, !storageLocation.isEmpty {
                throw CatalogError.invalidParameter("a MANAGED volume takes no storage_location (its files live under the data directory)")
            }
            directory = managedDirectory(catalog: catalog, schema: schema, volume: name)
            // A volume whose schema or catalog was renamed keeps its files where they were: never share them.
            if let other = try await store.volumesOverlapping(directory: directory).first {
                throw CatalogError.alreadyExists("directory \(directory) holds the files of volume \(other.fullName)")
            }
        case .external:
            guard let storageLocation, let path = VolumeLocations.localPath(storageLocation) else {
                throw CatalogError.invalidParameter("an EXTERNAL volume needs storage_location, an absolute local directory (file:///path)")
            }
            if VolumeLocations.contains(dataDirectory, path) || VolumeLocations.contains(path, dataDirectory) {
                throw CatalogError.invalidParameter("storage_location \(path) overlaps the data directory; use a MANAGED volume instead")
            }
            try admit(path, purpose: "an external volume")
            if let other = try await store.volumesOverlapping(directory: path).first {
                throw CatalogError.invalidParameter("storage_location \(path) overlaps volume \(other.fullName) at \(other.directory)")
            }
            directory = path
        }
        let stamp = now
        let record = VolumeRecord(
            catalogName: catalog, schemaName: schema, name: name, volumeID: IDGenerator.uuid(), volumeType: type,
            storageLocation: VolumeLocations.url(directory), owner: owner, comment: comment, createdAt: stamp, createdBy: owner,
            updatedAt: stamp, updatedBy: owner)
        let existed = FileManager.default.fileExists(atPath: directory)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw VolumeFileError.io("cannot create the volume's directory \(directory): \(error.localizedDescription)")
        }
        do {
            try await store.insert(record)
        } catch {
            if !existed { try? FileManager.default.removeItem(atPath: directory) }
            throw error
        }
        return record
    }

    /// Deletes a volume; a managed volume's files go with it, an external one's stay. Returns the deleted record.
    @discardableResult
    public func delete(_ fullName: String) async throws -> VolumeRecord {
        let record = try await store.delete(fullName)
        if record.volumeType == .managed { try VolumeFiles(root: record.directory).removeAll() }
        return record
    }

    /// Removes the directories of managed volumes whose rows are gone (their schema or catalog was
    /// deleted). External volumes' files are never touched, and a directory is removed only when it lies
    /// strictly inside `<data-dir>/volumes/` with symlinks resolved, so a stored location can never send
    /// the deletion elsewhere. Every directory is tried; the error names those left behind.
    public func removeFiles(of dropped: [VolumeRecord]) throws {
        let root = VolumeLocations.localPath(dataDirectory + "/volumes") ?? dataDirectory + "/volumes"
        var left: [String] = []
        for record in dropped where record.volumeType == .managed {
            guard let directory = VolumeLocations.localPath(record.storageLocation), directory != root, VolumeLocations.contains(root, directory) else {
                left.append("\(record.fullName) (\(record.storageLocation) is not under \(root))")
                continue
            }
            do { try VolumeFiles(root: directory).removeAll() } catch { left.append("\(record.fullName) (\(directory): \(error.localizedDescription))") }
        }
        guard left.isEmpty else { throw VolumeFileError.io("the files of deleted managed volumes were left in place: \(left.joined(separator: "; "))") }
    }

    /// Changes comment/owner/name; renaming a managed volume moves its directory.
    public func update(_ fullName: String, newName: String?, comment: String?, owner: String?, by principal: String) async throws -> VolumeRecord {
        let current = try await store.volume(fullName)
        guard let newName, try NameRules.identifier(newName, what: "volume") != current.name else {
            return try await store.update(fullName, newName: nil, comment: comment, owner: owner, by: principal)
        }
        let target = try NameRules.identifier(newName, what: "volume")
        guard current.volumeType == .managed else {
            return try await store.update(fullName, newName: target, comment: comment, owner: owner, by: principal)
        }
        let from = current.directory
        let to = managedDirectory(catalog: current.catalogName, schema: current.schemaName, volume: target)
        if FileManager.default.fileExists(atPath: to) { throw CatalogError.alreadyExists("directory \(to) already exists") }
        let record = try await store.update(fullName, newName: target, comment: comment, owner: owner, by: principal,
                                            storageLocation: VolumeLocations.url(to))
        do {
            try FileManager.default.moveItem(atPath: from, toPath: to)
        } catch {
            _ = try? await store.update(record.fullName, newName: current.name, comment: nil, owner: nil, by: principal, storageLocation: current.storageLocation)
            throw VolumeFileError.io("cannot move the volume's directory: \(error.localizedDescription)")
        }
        return record
    }

    /// The volume a path names and a view of its files.
    public func files(_ path: VolumePath) async throws -> (VolumeRecord, VolumeFiles) {
        let record = try await store.volume(path.fullName)
        return (record, VolumeFiles(root: record.directory))
    }

    // MARK: external locations

    public func createExternalLocation(name rawName: String, url: String, comment: String?, readOnly: Bool, owner: String) async throws -> ExternalLocationRecord {
        let name = try NameRules.identifier(rawName, what: "external location")
        guard let path = VolumeLocations.localPath(url) else {
            throw CatalogError.invalidParameter("url must be an absolute local directory (file:///path); got '\(url)'")
        }
        guard path != "/" else { throw CatalogError.invalidParameter("url cannot be the filesystem root") }
        if VolumeLocations.contains(dataDirectory, path) || VolumeLocations.contains(path, dataDirectory) {
            throw CatalogError.invalidParameter("url \(path) overlaps the data directory \(dataDirectory)")
        }
        let stamp = now
        let record = ExternalLocationRecord(name: name, url: VolumeLocations.url(path), comment: comment, owner: owner, readOnly: readOnly,
                                            createdAt: stamp, createdBy: owner, updatedAt: stamp, updatedBy: owner)
        try await store.insert(record)
        return record
    }

    /// The external location covering a local directory, if any.
    public func externalLocation(covering path: String) throws -> ExternalLocationRecord? {
        try store.externalLocationsNow().filter { VolumeLocations.contains($0.directory, path) }.max { $0.directory.count < $1.directory.count }
    }

    /// Refuses a local directory outside the data directory unless an external location covers it
    /// (only when the allow-list is enforced). The error names the path and how to allow it.
    public func admit(_ path: String, purpose: String) throws {
        guard enforceAllowList else { return }
        if VolumeLocations.contains(dataDirectory, path) {
            throw IngotFailure(.permissionDenied, "\(path) is inside the data directory; read it through a volume path (/Volumes/<catalog>/<schema>/<volume>/...)")
        }
        guard try externalLocation(covering: path) == nil else { return }
        throw IngotFailure(.permissionDenied,
            "local path \(path) is not under any external location, so it cannot be used for \(purpose); an administrator can allow it with "
            + "`POST /api/2.1/unity-catalog/external-locations {\"name\": \"...\", \"url\": \"file://\(path)\"}`")
    }

    /// The local file or directory a pipeline's `read_files` path means: a `/Volumes/...` path is the
    /// volume's directory; any other path (relative ones are taken from `base`) must pass the allow-list.
    public func landingPath(_ raw: String, base: URL) throws -> String {
        if raw.hasPrefix("/Volumes/") || raw.hasPrefix("dbfs:/Volumes/") {
            let path = try VolumePath(parsing: raw)
            let record = try store.volumeNow(path.fullName)
            return try VolumeFiles(root: record.directory).resolve(path.segments)
        }
        let absolute = raw.hasPrefix("/") ? URL(fileURLWithPath: raw) : base.appendingPathComponent(raw)
        let path = VolumeLocations.localPath(absolute.path) ?? absolute.standardizedFileURL.path
        try admit(path, purpose: "read_files")
        return path
    }
}
