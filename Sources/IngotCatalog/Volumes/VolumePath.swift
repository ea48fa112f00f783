import Foundation
import IngotCore

/// Errors of volume file operations, mapped to Files API responses by the server and to one line by the CLI.
public enum VolumeFileError: IngotError, Equatable {
    case invalidPath(String)
    case notFound(String)
    case alreadyExists(String)
    case notEmpty(String)
    case io(String)

    public var errorCode: ErrorCode {
        switch self {
        case .invalidPath: .invalidParameterValue
        case .notFound: .resourceDoesNotExist
        case .alreadyExists: .resourceAlreadyExists
        case .notEmpty: .invalidState
        case .io: .internalError
        }
    }

    public var message: String {
        switch self {
        case .invalidPath(let m), .notFound(let m), .alreadyExists(let m), .notEmpty(let m), .io(let m): m
        }
    }
}

/// A path inside a volume: `/Volumes/<catalog>/<schema>/<volume>/<relative path>`, checked so it can
/// never leave the volume — no `.` or `..` segment (decoded or not), no empty segment, NUL, backslash
/// or reserved staging name. Symlinks are refused when the path is resolved on disk (``VolumeFiles``).
public struct VolumePath: Sendable, Equatable, CustomStringConvertible {
    public let catalog: String
    public let schema: String
    public let volume: String
    /// Segments below the volume root (empty for the root itself).
    public let segments: [String]

    public static let maxLength = 4096
    /// Prefix of in-flight upload files; never listed, never addressable.
    public static let stagingPrefix = ".ingot-upload-"

    public var fullName: String { "\(catalog).\(schema).\(volume)" }
    public var relative: String { segments.joined(separator: "/") }
    public var description: String { "/Volumes/\(catalog)/\(schema)/\(volume)" + (segments.isEmpty ? "" : "/" + relative) }
    public var name: String { segments.last ?? volume }

    public init(catalog: String, schema: String, volume: String, segments: [String]) {
        self.catalog = catalog
        self.schema = schema
        self.volume = volume
        self.segments = segments
    }

    /// Parses an already percent-decoded absolute path (`/Volumes/c/s/v/a/b.csv`, also `dbfs:/Volumes/...`).
    /// A trailing `/` is allowed (directories).
    public init(parsing raw: String) throws {
        var text = raw
        if text.hasPrefix("dbfs:") { text = String(text.dropFirst("dbfs:".count)) }
        guard text.utf8.count <= Self.maxLength else { throw VolumeFileError.invalidPath("path is longer than \(Self.maxLength) bytes") }
        guard !text.contains("\0"), !text.contains("\\") else { throw VolumeFileError.invalidPath("path '\(raw)' contains a NUL or backslash") }
        guard text.hasPrefix("/Volumes/") else {
            throw VolumeFileError.invalidPath("path '\(raw)' is not a volume path: expected /Volumes/<catalog>/<schema>/<volume>/...")
        }
        while text.count > 1, text.hasSuffix("/") { text.removeLast() }
        let parts = text.dropFirst("/Volumes/".count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3 else {
            throw VolumeFileError.invalidPath("path '\(raw)' does not name a volume: expected /Volumes/<catalog>/<schema>/<volume>/...")
        }
        let names: [String]
        do {
            names = [try NameRules.identifier(parts[0], what: "catalog"), try NameRules.identifier(parts[1], what: "schema"),
                     try NameRules.identifier(parts[2], what: "volume")]
        } catch let error as CatalogError {
            throw VolumeFileError.invalidPath(error.message)
        }
        let rest = Array(parts.dropFirst(3))
        try Self.check(rest, raw: raw)
        self.init(catalog: names[0], schema: names[1], volume: names[2], segments: rest)
    }

    /// Percent-decodes a URL path tail, then parses it. Decoding happens once, so `%2e%2e` is `..` and refused.
    public init(urlPath: String) throws {
        guard let decoded = urlPath.removingPercentEncoding else { throw VolumeFileError.invalidPath("path '\(urlPath)' is not valid percent-encoding") }
        try self.init(parsing: decoded)
    }

    static func check(_ segments: [String], raw: String) throws {
        for segment in segments {
            if segment.isEmpty { throw VolumeFileError.invalidPath("path '\(raw)' has an empty segment") }
            if segment == "." || segment == ".." { throw VolumeFileError.invalidPath("path '\(raw)' contains '\(segment)': paths cannot leave the volume") }
            if segment.utf8.count > 255 { throw VolumeFileError.invalidPath("path segment longer than 255 bytes") }
            if segment.hasPrefix(stagingPrefix) { throw VolumeFileError.invalidPath("path '\(raw)' uses the reserved name prefix \(stagingPrefix)") }
            if segment.unicodeScalars.contains(where: { $0.value < 0x20 }) { throw VolumeFileError.invalidPath("path '\(raw)' contains a control character") }
        }
    }

    /// A child path (validated).
    public func appending(_ child: String) throws -> VolumePath {
        let more = child.split(separator: "/").map(String.init)
        try Self.check(more, raw: child)
        return VolumePath(catalog: catalog, schema: schema, volume: volume, segments: segments + more)
    }
}
