import Foundation
import Hummingbird
import IngotCatalog
import IngotCore
import IngotPipelines
import IngotStorage

extension VolumeService {
    /// The volume service of a server: managed volumes under the data directory; the external-location
    /// allow-list enforced exactly when authentication is on.
    static func make(config: IngotConfig, metadata: MetadataStore) -> VolumeService {
        VolumeService(store: VolumeStore(metadata: metadata), dataDirectory: config.dataDirectoryURL, enforceAllowList: config.authMode != .none)
    }
}

/// Pipelines' `read_files` paths resolved over volumes and external locations.
struct VolumeLandingPaths: LandingPathResolver {
    let volumes: VolumeService
    func localPath(_ path: String, base: URL) throws -> String { try volumes.landingPath(path, base: base) }
}

/// Mounts the volume surfaces (UC volumes and external locations, the Files API).
enum VolumeRoutes {
    static func add(to router: Router<IngotRequestContext>, services: IngotServices) {
        let volumes = VolumeService.make(config: services.config, metadata: services.metadata)
        UnityCatalogVolumesController(volumes: volumes, owners: CatalogOwnerGrants(store: services.authorizer.store)).addRoutes(to: router)
        FilesController(volumes: volumes).addRoutes(to: router)
    }
}
