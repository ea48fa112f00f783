import IngotServing
import ServiceLifecycle

/// Runs the serving runtime (work queue, alias following, idle unloading) for the server's lifetime;
/// a graceful shutdown stops it and every model worker.
struct ServingRuntimeService: Service {
    let endpoints: EndpointService

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await endpoints.run()
        }
    }
}
