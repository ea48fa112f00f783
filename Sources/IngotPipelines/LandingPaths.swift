import Foundation

/// Turns a `read_files` path into the local file or directory to ingest. Declared here, implemented
/// by the composition root over the catalog's volumes: `/Volumes/<c>/<s>/<v>/...` is a volume's
/// directory, and any other local path must pass the external-location allow-list (when it is
/// enforced). Without a resolver (tests, offline use) paths are taken as local paths, relative to the
/// pipeline's folder.
public protocol LandingPathResolver: Sendable {
    /// The absolute local path `path` means, or an error naming the path and how to allow it.
    func localPath(_ path: String, base: URL) throws -> String
}

extension PipelineService {
    /// This service with `read_files` paths resolved by `landing`.
    public func resolvingLandingPaths(with landing: any LandingPathResolver) -> PipelineService {
        var copy = self
        copy.runner.landing = landing
        return copy
    }
}
