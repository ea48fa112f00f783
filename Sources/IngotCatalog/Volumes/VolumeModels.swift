import Foundation

/// A volume: a named directory of files inside a schema (`catalog.schema.volume`), addressed by
/// clients as `/Volumes/<catalog>/<schema>/<volume>/<path>`.
public struct VolumeRecord: Codable, Sendable, Equatable {
    public enum VolumeType: String, Codable, Sendable { case managed = "MANAGED", external = "EXTERNAL" }

    public var catalogName: String
    public var schemaName: String
    public var name: String
    public var volumeID: String
    public var volumeType: VolumeType
    /// `file://` URL of the directory holding the volume's files.
    public var storageLocation: String
    public var owner: String
    public var comment: String?
    public var createdAt: Int64
    public var createdBy: String
    public var updatedAt: Int64
    public var updatedBy: String

    public var fullName: String { "\(catalogName).\(schemaName).\(name)" }
    /// The absolute local directory of the volume's files.
    public var directory: String { VolumeLocations.localPath(storageLocation) ?? storageLocation }
}

/// An external location: a local directory an administrator allows external volumes and pipeline
/// `read_files` to use (the allow-list for paths outside the data directory).
public struct ExternalLocationRecord: Codable, Sendable, Equatable {
    public var name: String
    /// `file://` URL of the allowed directory.
    public var url: String
    public var comment: String?
    public var owner: String
    public var readOnly: Bool
    public var createdAt: Int64
    public var createdBy: String
    public var updatedAt: Int64
    public var updatedBy: String

    public var directory: String { VolumeLocations.localPath(url) ?? url }
}

/// `file://` URLs and local paths of volumes and external locations.
public enum VolumeLocations {
    /// The absolute, standardized path of `file:///x`, `file:/x` or `/x`; nil for other schemes or
    /// relative paths. Symlinks in existing components are resolved so containment checks compare
    /// real directories.
    public static func localPath(_ location: String) -> String? {
        var text = location
        if text.hasPrefix("file://") {
            text = String(text.dropFirst("file://".count))
        } else if text.hasPrefix("file:") {
            text = String(text.dropFirst("file:".count))
        }
        text = text.removingPercentEncoding ?? text
        guard text.hasPrefix("/"), !text.contains("\0") else { return nil }
        let segments = text.split(separator: "/")
        guard !segments.contains("..") else { return nil }
        var path = URL(fileURLWithPath: text).standardizedFileURL.resolvingSymlinksInPath().path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    public static func url(_ path: String) -> String { "file://" + path }

    /// Whether `path` is `directory` or lies inside it (both absolute and standardized).
    public static func contains(_ directory: String, _ path: String) -> Bool {
        directory == "/" || path == directory || path.hasPrefix(directory + "/")
    }
}
