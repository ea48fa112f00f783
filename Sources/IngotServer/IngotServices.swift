import Foundation
import IngotCatalog
import IngotCore
import IngotIdentity
import IngotLake
import IngotPipelines
import IngotRegistry
import IngotServing
import IngotStorage
import IngotTracking

/// Every schema migration of every module, in the one order they are applied. Append only.
public enum IngotMigrations {
    public static let all: [Migration] =
        CoreMigrations.all + LakeModule.migrations + TrackingModule.migrations + RegistryModule.migrations
        + PipelinesModule.migrations + CatalogModule.migrations + ServingModule.migrations
        + IdentityModule.migrations
        + QualityModule.migrations + LineageModule.migrations + CatalogMetadataModule.migrations
}

/// Migrations owned by the server itself (process-level facts, not any module's data).
enum CoreMigrations {
    static let all: [Migration] = [
        Migration("core.v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE ingot_instance (
                        key TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    );
                    """)
            try db.execute(
                sql: "INSERT INTO ingot_instance (key, value) VALUES ('instance_id', ?), ('created_at_ms', ?)",
                arguments: [IDGenerator.uuid(), String(Clock.nowMillis())])
        }
    ]
}

/// The composition root: the shared stores and every module's services, built once per process
/// and handed to the HTTP layer. Modules never build each other; cross-module needs are wired here.
public struct IngotServices: Sendable {
    public let config: IngotConfig
    public let metadata: MetadataStore
    public let objects: any ObjectStore
    public let startedAt: Date
    /// Principals, groups and tokens; resolves request credentials when auth is on.
    public let identity: IdentityService
    /// Object ACLs and catalog grants, and the authorizer that reads them (enforced only with auth on).
    public let authorizer: ACLAuthorizer
    /// Registry webhooks: the event sink the registry publishes to and the delivery loop the app runs.
    public let webhooks: WebhookDispatcher
    /// Named tables: the namespace joined to their Delta/Iceberg storage.
    public let tables: TableService
    /// The audit log and the recorder that buffers events into it.
    public let audit: AuditLog
    let auditRecorder: AuditRecorder
    /// SQL statements submitted over REST and the runner that executes them.
    let statements: StatementStore
    let statementRunner: StatementRunner
    /// Declarative pipelines: definitions, updates, metrics and event log.
    public let pipelines: PipelineService
    /// Model serving endpoints and their runtime (run by the app as a service).
    public let endpoints: EndpointService
    /// Writes the inference tables of endpoints with `auto_capture_config` (run by the app as a service).
    let inferenceTables: InferenceTableWriter
    /// Live per-second scoring statistics for the admin pages (fed by the router and the scoring fast lane).
    let servingStats = ServingStats()
    /// Jobs: DAGs of tasks, their runs and the scheduling decisions (the scheduler runs in the app).
    public let jobs: JobService
    /// The lineage graph (catalog) and the feeds of every module that flows into it.
    public let lineage: LineageService
    /// Data quality monitors: profiles, health, score, notifications (refresh workers run in the app).
    public let quality: QualityService
    /// Search across catalogs, tables, columns, models, experiments, pipelines and endpoints.
    let search: SearchService

    /// Opens the data directory (creating it), the metadata store and the object store.
    /// - Parameter migrate: apply pending migrations (serve does; read-only commands don't).
    public static func open(config: IngotConfig, migrate: Bool = true) throws -> IngotServices {
        let dataDir = config.dataDirectoryURL
        do {
            try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        } catch {
            throw IngotFailure(.internalError, "cannot create data directory \(dataDir.path): \(error.localizedDescription)")
        }
        let metadata = try MetadataStore(
            path: dataDir.appendingPathComponent(MetadataStore.fileName).path, migrations: IngotMigrations.all,
            durability: config.metadataDurability)
        if migrate { try metadata.migrate() }
        let objects = try LocalObjectStore(root: dataDir)
        objects.removeAbandonedUploads()
        return IngotServices(config: config, metadata: metadata, objects: objects, startedAt: Date())
    }

    public init(config: IngotConfig, metadata: MetadataStore, objects: any ObjectStore, startedAt: Date = Date()) {
        self.config = config
        self.metadata = metadata
        self.objects = objects
        self.startedAt = startedAt
        self.identity = IdentityService(
            store: SQLiteIdentityStore(metadata: metadata),
            sessions: SessionManager(
                store: SQLiteSessionStore(metadata: metadata),
                policy: SessionPolicy(lifetimeSeconds: config.sessionTTLSeconds, idleSeconds: config.sessionIdleSeconds)))
        self.authorizer = ACLAuthorizer(store: PermissionStore(metadata: metadata))
        let registryStore = SQLiteRegistryStore(metadata: metadata)
        self.webhooks = WebhookDispatcher(store: registryStore, registry: registryStore, transport: HTTPWebhookTransport())
        let qualityQueue = QualityRefreshQueue()
        let namespace = NamespaceStore(metadata: metadata, droppedVolumes: VolumeService.make(config: config, metadata: metadata))
        self.tables = TableService(namespace: namespace, objects: objects, commitListener: qualityQueue)
        self.audit = AuditLog(metadata: metadata)
        self.auditRecorder = AuditRecorder(log: audit, retentionDays: config.auditRetentionDays)
        self.statements = StatementStore()
        var statementRunner = StatementRunner(
            store: statements, tables: tables,
            auditTable: AuditSystemTable(audit: audit, recorder: auditRecorder, directory: config.dataDirectoryURL.appendingPathComponent("system")))
        if config.authMode != .none {
            statementRunner.authorizer = authorizer
            let identity = self.identity
            statementRunner.principals = { name in try await identity.principal(named: name) }
        }
        let lineage = LineageService(store: LineageStore(metadata: metadata), tables: tables)
        statementRunner.lineage = StatementLineageRecorder(lineage: lineage)
        self.statementRunner = statementRunner
        var pipelines = PipelineService(metadata: metadata, tables: tables, notifier: PipelineNotifier(transport: PipelineWebhookHTTPTransport()))
        pipelines.updateGate = Self.tableAccess(config, pipelines, authorizer, identity)
        self.pipelines = pipelines
            .resolvingLandingPaths(with: VolumeLandingPaths(volumes: VolumeService.make(config: config, metadata: metadata)))
        self.jobs = JobService(metadata: metadata, environment: Self.jobEnvironment(config), pipelines: PipelineJobTasks(pipelines: pipelines, tableAccess: Self.tableAccess(config, pipelines, authorizer, identity)), sql: SQLJobTasks(tables: tables, authorizer: config.authMode != .none ? authorizer : nil, identity: identity, jobs: JobStore(metadata: metadata)))
        let sources = TrackingModelSources(store: SQLiteTrackingStore(metadata: metadata))
        self.quality = QualityService(
            store: QualityStore(metadata: metadata), tables: tables, queue: qualityQueue, expectations: PipelineExpectationHistory(store: pipelines.store),
            cron: QuartzScheduleEvaluator(), transport: HTTPQualityTransport())
        self.search = SearchService(
            providers: [
                CatalogSearchProvider(tables: tables, columns: ColumnIndexCache()), ExperimentSearchProvider(store: SQLiteTrackingStore(metadata: metadata)),
                ModelSearchProvider(store: registryStore), PipelineSearchProvider(store: pipelines.store), EndpointSearchProvider(store: EndpointStore(metadata: metadata)),
            ],
            authorizer: authorizer, enforce: config.authMode != .none)
        self.inferenceTables = InferenceTableWriter(tables: tables, store: EndpointStore(metadata: metadata))
        self.endpoints = Self.makeEndpoints(
            config: config, metadata: metadata, logSink: inferenceTables,
            registry: RegistryService(store: registryStore, sources: sources, lineage: sources, events: webhooks))
        self.lineage = LineageWiring.feeds(lineage, metadata: metadata, pipelines: pipelines, jobs: jobs, registry: registryStore, endpoints: endpoints)
    }

    /// Flushes and closes the stores on graceful shutdown.
    public func close() throws {
        try metadata.close()
    }
}
