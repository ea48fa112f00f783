import Foundation
import Hummingbird
import IngotCore
import IngotStorage

/// `/health` (status of the process and its stores, for load balancers and the home page) and
/// MLflow's plain-text `/version` probe.
struct HealthController {
    let services: IngotServices

    struct StoreStatus: Encodable {
        let status: String
        let backend: String
        let error: String?
    }

    struct Health: Encodable {
        let status: String
        let version: String
        let schema_version: String
        let migrations_applied: Int
        let data_dir: String
        let uptime_seconds: Double
        let stores: [String: StoreStatus]
    }

    func addRoutes(to router: Router<IngotRequestContext>) {
        router.get("/health") { _, _ in try await self.health() }
        router.get("/version") { _, _ in
            // MLflow clients gate features on this; report the MLflow API level we implement.
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: MLflowCompatibility.version)))
        }
    }

    func health() async throws -> Response {
        var stores: [String: StoreStatus] = [:]
        var healthy = true
        var schema = "unknown"
        var applied = 0
        do {
            schema = try services.metadata.appliedSchemaVersion() ?? "none"
            applied = try services.metadata.appliedMigrationCount()
            stores["metadata"] = StoreStatus(status: "ok", backend: services.config.metadataBackend.rawValue, error: nil)
        } catch {
            healthy = false
            stores["metadata"] = StoreStatus(status: "error", backend: services.config.metadataBackend.rawValue, error: "\(error)")
        }
        do {
            _ = try await services.objects.list(prefix: "artifacts", recursive: false)
            stores["objects"] = StoreStatus(status: "ok", backend: services.config.objectBackend.rawValue, error: nil)
        } catch {
            healthy = false
            stores["objects"] = StoreStatus(status: "error", backend: services.config.objectBackend.rawValue, error: "\(error)")
        }
        let body = Health(
            status: healthy ? "ok" : "degraded", version: IngotVersion.current, schema_version: schema,
            migrations_applied: applied, data_dir: services.config.dataDirectoryURL.path,
            uptime_seconds: (Date().timeIntervalSince(services.startedAt) * 1000).rounded() / 1000, stores: stores)
        return try JSONResponse.make(body, status: healthy ? .ok : .serviceUnavailable)
    }
}

/// The MLflow server version Ingot's tracking API answers as (the client needs >= 3.4 for span logging).
public enum MLflowCompatibility {
    public static let version = "3.17.2"
}
