import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import IngotCore
import IngotTracking
import Logging

/// Builds the router with every API surface and the cross-cutting middleware, in this order
/// (outermost first): request log + id, metrics, error mapping, body limit, authentication, audit,
/// authorization (``RouteGuards``, only with auth on).
public func buildRouter(services: IngotServices) -> Router<IngotRequestContext> {
    let authenticator: any Authenticator =
        switch services.config.authMode {
        case .none: LocalAdminAuthenticator()
        case .token: TokenAuthenticator(identity: services.identity)
        }
    let router = Router(context: IngotRequestContext.self)
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: BodyLimitMiddleware(maxBodyBytes: services.config.maxBodyBytes))
    router.add(middleware: AuthenticationMiddleware(authenticator: authenticator, recorder: services.auditRecorder))
    router.add(middleware: AuditMiddleware(recorder: services.auditRecorder))
    if services.config.authMode != .none {
        router.add(middleware: AuthorizationMiddleware(services: services))
    }

    HealthController(services: services).addRoutes(to: router)
    IdentityController(identity: services.identity).addRoutes(to: router)
    SessionController(
        identity: services.identity, recorder: services.auditRecorder, authMode: services.config.authMode, secureCookies: services.config.tlsEnabled,
        sessionTTLSeconds: services.config.sessionTTLSeconds
    ).addRoutes(to: router)
    PermissionsController(authorizer: services.authorizer, identity: services.identity).addRoutes(to: router)
    AuditController(audit: services.audit, recorder: services.auditRecorder).addRoutes(to: router)
    TrackingRoutes.add(to: router, services: services)
    RegistryRoutes.add(to: router, services: services)
    UnityCatalogController(tables: services.tables, registry: services.registryService, authorizer: services.authorizer).addRoutes(to: router)
    IcebergRESTController(tables: services.tables, owners: CatalogOwnerGrants(store: services.authorizer.store)).addRoutes(to: router)
    VolumeRoutes.add(to: router, services: services)
    StatementController(store: services.statements, runner: services.statementRunner).addRoutes(to: router)
    TableController(tables: services.tables, stagingDirectory: services.config.dataDirectoryURL.appendingPathComponent("tmp")).addRoutes(to: router)
    PipelinesController(pipelines: services.pipelines, tableAccess: services.pipelineTableAccess).addRoutes(to: router)
    LineageController(lineage: services.lineage, authorizer: services.authorizer).addRoutes(to: router)
    JobsController(jobs: services.jobs).addRoutes(to: router)
    PipelineGraphController(pipelines: services.pipelines).addRoutes(to: router)
    JobScheduleController(jobs: services.jobs).addRoutes(to: router)
    BackupController(dataDirectory: services.config.dataDirectoryURL).addRoutes(to: router)
    ServingStatsController.install(on: router, stats: services.servingStats)
    ServingEndpointsController(endpoints: services.endpoints).addRoutes(to: router)
    InvocationsController(endpoints: services.endpoints).addRoutes(to: router)
    ServingRolloutController(endpoints: services.endpoints).addRoutes(to: router)
    QualityController(quality: services.quality).addRoutes(to: router)
    SearchController(search: services.search).addRoutes(to: router)
    MetricsController(registry: IngotMetrics.registry).addRoutes(to: router)
    let assets: any WebAssetSource = services.config.webRoot.map { DirectoryWebAssets(root: $0) } ?? EmbeddedWebAssets()
    WebController(assets: assets).addRoutes(to: router)
    return router
}

/// Builds the HTTP application for `ingot serve` (and for in-process tests).
/// - Parameter server: the transport; ``serverBuilder(services:logger:)`` picks HTTP or HTTPS from the
///   configuration; nil is plain HTTP with the scoring fast lane.
public func buildApplication(services: IngotServices, logger: Logger, server: HTTPServerBuilder? = nil) -> some ApplicationProtocol {
    _ = IngotMetrics.registry  // bootstrap the metrics backend before any metric is created
    let router = buildRouter(services: services)
    return Application(
        router: router,
        server: server ?? .http1(configuration: http1Configuration(services: services, logger: logger)),
        configuration: .init(address: .hostname(services.config.host, port: services.config.port), serverName: "ingot"),
        services: [MetadataCheckpointService(metadata: services.metadata), WebhookDeliveryService(dispatcher: services.webhooks), services.statementRunner, services.auditRecorder,
            ServingRuntimeService(endpoints: services.endpoints), services.inferenceTables, JobSchedulerService(jobs: services.jobs),
            PipelineRecoveryService(pipelines: services.pipelines), QualityRefreshService(quality: services.quality),
            SearchMetricsSyncService(store: SQLiteTrackingStore(metadata: services.metadata))],
        logger: logger)
}

/// The HTTP/1 channel: with authentication off, scoring requests to native models take the
/// ``ScoringFastLane`` below the router (with it on, every request passes the router's guards).
func http1Configuration(services: IngotServices, logger: Logger) -> HTTP1Channel.Configuration {
    guard services.config.authMode == .none else { return .init() }
    let lane = InvocationsController.fastLane(endpoints: services.endpoints, stats: services.servingStats, logger: logger)
    return .init(additionalChannelHandlers: [lane.handler()])
}

/// HTTP, or HTTPS when `tls.certificate` and `tls.key` are set (PEM files, read at startup; a bad
/// file is one line naming it).
public func serverBuilder(services: IngotServices, logger: Logger) throws -> HTTPServerBuilder {
    let config = services.config
    let http1 = HTTPServerBuilder.http1(configuration: http1Configuration(services: services, logger: logger))
    guard let certPath = config.tlsCertificate, let keyPath = config.tlsKey else { return http1 }
    try config.validateTLS()
    let chain: [NIOSSLCertificate]
    do {
        chain = try NIOSSLCertificate.fromPEMFile(certPath)
    } catch {
        throw ConfigError("tls.certificate: '\(certPath)' is not a PEM certificate chain (\(error))")
    }
    guard !chain.isEmpty else { throw ConfigError("tls.certificate: '\(certPath)' holds no certificate") }
    let key: NIOSSLPrivateKey
    do {
        key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
    } catch {
        throw ConfigError("tls.key: '\(keyPath)' is not a PEM private key (\(error))")
    }
    let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    return try .tls(http1, tlsConfiguration: tls)
}
