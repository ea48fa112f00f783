import Foundation
import IngotCore
import IngotRegistry
import IngotServing
import IngotTracking

/// Serving's view of the registry: (model, version | alias) → version number and the version's
/// artifact directory under `<data dir>/artifacts/`. Sources stored as `mlflow-artifacts:/…` map to
/// files directly; `runs:/<run>/path` goes through the run's artifact root.
struct RegistryModelResolver: ModelVersionResolver {
    let registry: RegistryService
    let runs: any ModelSourceResolver
    let dataDirectory: URL

    func resolve(model: String, version: Int?, alias: String?) async throws -> ResolvedModel {
        let mv: ModelVersion
        do {
            if let version {
                mv = try await registry.getModelVersion(name: model, version: String(version))
            } else {
                mv = try await registry.getModelVersion(name: model, alias: alias)
            }
        } catch let error as RegistryError {
            throw ServingError.notFound(error.message)
        }
        let uri = try await registry.downloadURI(name: mv.name, version: mv.version)
        return ResolvedModel(version: Int(mv.versionNumber), artifactDirectory: try await localDirectory(uri), artifactURI: uri)
    }

    /// The local directory of an artifact URI this server stores, nil for remote ones (s3://…).
    func localDirectory(_ uri: String) async throws -> URL? {
        var artifactURI = uri
        if uri.hasPrefix("runs:/") {
            let rest = uri.dropFirst("runs:/".count)
            guard let runID = rest.split(separator: "/").first.map(String.init), let run = try await runs.run(id: runID) else { return nil }
            let path = rest.split(separator: "/").dropFirst().joined(separator: "/")
            artifactURI = path.isEmpty ? run.artifactURI : run.artifactURI + "/" + path
        }
        guard artifactURI.hasPrefix("mlflow-artifacts:") else { return nil }
        let key = try ArtifactRepository.key(forProxyPath: try ArtifactRepository.proxyPath(forURI: artifactURI))
        let root = dataDirectory.standardizedFileURL
        let dir = root.appendingPathComponent(key).standardizedFileURL.resolvingSymlinksInPath()
        guard dir.path.hasPrefix(root.resolvingSymlinksInPath().path + "/") else { return nil }
        return dir
    }
}
