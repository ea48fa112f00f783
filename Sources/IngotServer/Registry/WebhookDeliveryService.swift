import IngotRegistry
import ServiceLifecycle

/// Runs the webhook delivery loop as a service owned by the application: it starts with the
/// server and stops on graceful shutdown (in-flight deliveries finish, the rest stay queued).
struct WebhookDeliveryService: Service {
    let dispatcher: WebhookDispatcher

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await dispatcher.run()
        }
    }
}
