import Hummingbird
import IngotRegistry
import IngotTracking

/// Mounts the registry's HTTP surfaces, wiring the registry to tracking through the small
/// protocols the registry declares (``ModelSourceResolver``, ``RunLineageProvider``).
enum RegistryRoutes {
    static func add(to router: Router<IngotRequestContext>, services: IngotServices) {
        let service = services.registryService
        RegistryController(service: service).addRoutes(to: router)
        WorkflowController(service: service).addRoutes(to: router)
        WebhookController(webhooks: services.webhooks).addRoutes(to: router)
    }
}

extension IngotServices {
    /// The registry domain service, wired to tracking's store for source resolution and lineage.
    var registryService: RegistryService {
        let sources = TrackingModelSources(store: SQLiteTrackingStore(metadata: metadata))
        return RegistryService(store: SQLiteRegistryStore(metadata: metadata), sources: sources, lineage: sources, events: webhooks)
    }
}
