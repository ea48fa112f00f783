import Foundation
import IngotCatalog
import IngotCore
import IngotIdentity
import IngotLake
import IngotStorage
import Synchronization

/// `system.access.audit`: the audit log as a read-only SQL table, in the spirit of Databricks'
/// system table (event_time, event_id, user_identity.email, source_ip_address, service_name,
/// action_name, request_params, response.status_code / error_message).
///
/// The SQL engine binds Delta tables only (its resolver hands out `LakeTable`s), so the audit store
/// is materialized into a private Delta table under `<data_dir>/system/` and brought up to date on
/// every read: new events are appended (the store is append-only), and the table is rewritten when
/// retention removed events or when anything but this refresher changed the table (a write through
/// SQL is undone by the next read). Each statement reads one pinned snapshot, so a refresh running
/// alongside a query never changes that query's answer.
actor AuditSystemTable {
    static let name = SQLTableName(catalog: "system", schema: "access", table: "audit")

    static let schema = Schema([
        Field("event_time", .timestamp(utc: true), nullable: false),
        Field("event_date", .date, nullable: false),
        Field("event_id", .string, nullable: false),
        Field("user_identity", .struct([Field("email", .string)])),
        Field("source_ip_address", .string),
        Field("service_name", .string),
        Field("action_name", .string),
        Field("request_id", .string),
        Field("request_params", .map(key: Field("key", .string, nullable: false), value: Field("value", .string))),
        Field("response", .struct([Field("status_code", .int32), Field("error_message", .string)])),
        Field("outcome", .string),
    ])

    let audit: AuditLog
    let recorder: AuditRecorder
    let directory: URL
    private var opened: LakeTable?
    /// What this process last wrote: the table version, and the id range it holds (maxID 0: none).
    private var written: (version: Int64, minID: Int64, maxID: Int64)?

    init(audit: AuditLog, recorder: AuditRecorder, directory: URL) {
        self.audit = audit
        self.recorder = recorder
        self.directory = directory
    }

    private func lakeTable() throws -> LakeTable {
        if let opened { return opened }
        let store = try LocalObjectStore(root: directory, allowedTopLevel: nil)
        let table = try LakeTable(store: store, key: "access/audit")
        opened = table
        return table
    }

    /// Brings the table up to date and returns it.
    func refreshed() async throws -> LakeTable {
        let table = try lakeTable()
        await recorder.flush()
        let range = try await audit.idRange()
        let latest = try await table.log.latestVersion()
        if let w = written, latest == w.version, w.maxID == 0 || (range.map { $0.min <= w.minID } ?? false) {
            // Only new events: append them.
            guard let range, range.max > w.maxID else { return table }
            let seen = Seen()
            let version = try await table.append(Self.pages(audit, after: w.maxID, seen: seen))
            written = (version, w.maxID == 0 ? seen.first : w.minID, seen.last)
            return table
        }
        // First read in this process, events pruned, or the table was changed elsewhere: rewrite it.
        let seen = Seen()
        let source = Self.pages(audit, after: 0, seen: seen)
        let version: Int64 = latest == nil ? try await table.create(schema: Self.schema, data: source) : try await table.overwrite(source)
        written = (version, seen.first, seen.last)
        return table
    }

    /// The first and last event id a refresh wrote.
    final class Seen: Sendable {
        private let ids = Mutex<(first: Int64, last: Int64)>((0, 0))
        func note(_ first: Int64, _ last: Int64) { ids.withLock { if $0.first == 0 { $0.first = first }; $0.last = last } }
        var first: Int64 { ids.withLock { $0.first } }
        var last: Int64 { ids.withLock { $0.last } }
    }

    /// Events after an id, in batches of `pageSize` (a year of audit events never sits in memory at once).
    static func pages(_ audit: AuditLog, after start: Int64, seen: Seen, pageSize: Int = 50_000) -> BatchSource {
        { emit in
            var after = start
            var emitted = false
            while true {
                let rows = try await audit.rows(afterID: after, limit: pageSize)
                if let first = rows.first, let last = rows.last {
                    try await emit(try batch(rows))
                    emitted = true
                    seen.note(first.id, last.id)
                    after = last.id
                }
                if rows.count < pageSize { break }
            }
            // An empty table still needs its schema written.
            if !emitted { try await emit(try batch([])) }
        }
    }

    /// The service an action belongs to, from its path (Databricks' `service_name`).
    static func service(_ action: String) -> String {
        let path = action.split(separator: " ", maxSplits: 1).last.map(String.init) ?? action
        if path.contains("/registered-models") || path.contains("/model-versions") { return "modelRegistry" }
        let rules: [(String, String)] = [
            ("/api/2.0/mlflow", "mlflowExperiment"), ("/ajax-api/2.0/mlflow", "mlflowExperiment"),
            ("/api/2.1/unity-catalog", "unityCatalog"), ("/iceberg", "unityCatalog"), ("/api/2.0/sql/statements", "databrickssql"),
            ("/api/2.0/pipelines", "deltaPipelines"), ("/api/2.1/jobs", "jobs"), ("/api/2.0/serving-endpoints", "serving"),
            ("/serving-endpoints", "serving"), ("/api/2.0/token", "accounts"), ("/api/2.0/preview/scim", "accounts"),
            ("/api/2.0/ingot/login", "accounts"), ("/api/2.0/ingot/logout", "accounts"),
        ]
        return rules.first { path.hasPrefix($0.0) }?.1 ?? "ingot"
    }

    static func batch(_ rows: [(id: Int64, event: AuditEvent)]) throws -> RecordBatch {
        func column(_ type: LakeType, _ value: ((id: Int64, event: AuditEvent)) -> NestedValue) -> Column {
            Column.build(type, rows.map(value))
        }
        let f = schema.fields
        let columns: [Column] = [
            column(f[0].type) { .scalar(.int($0.event.time * 1000)) },
            column(f[1].type) { .scalar(.int(Int64((Double($0.event.time) / 86_400_000).rounded(.down)))) },
            column(f[2].type) { .scalar(.string(String($0.id))) },
            column(f[3].type) { .struct(["email"], [.scalar(.string($0.event.principal))]) },
            column(f[4].type) { .scalar(.string($0.event.source)) },
            column(f[5].type) { .scalar(.string(service($0.event.action))) },
            column(f[6].type) { .scalar(.string($0.event.action)) },
            column(f[7].type) { .scalar(.string($0.event.requestID)) },
            column(f[8].type) { .map([.scalar(.string("object"))], [.scalar(.string($0.event.object))]) },
            column(f[9].type) { row in
                .struct(
                    ["status_code", "error_message"],
                    [.scalar(.int(Int64(row.event.status))), row.event.outcome == "success" ? .null : .scalar(.string(row.event.outcome))])
            },
            column(f[10].type) { .scalar(.string($0.event.outcome)) },
        ]
        return try RecordBatch(schema: schema, columns: columns)
    }
}

/// The namespace plus the read-only `system` catalog. Reading `system.access.audit` is for admins
/// (as `/api/2.0/ingot/audit` is); when object permissions arrive, this check becomes the
/// authorizer's SELECT on the system table.
struct SystemTablesResolver: TableResolver {
    let base: NamespaceTableResolver
    let audit: AuditSystemTable
    let callerIsAdmin: Bool

    static func isSystem(_ catalog: String) -> Bool { catalog.lowercased() == AuditSystemTable.name.catalog }

    static func isAudit(_ name: SQLTableName) -> Bool {
        let a = AuditSystemTable.name
        return name.catalog.lowercased() == a.catalog && name.schema.lowercased() == a.schema && name.table.lowercased() == a.table
    }

    func table(_ name: SQLTableName) async throws -> LakeTable {
        if Self.isAudit(name) {
            guard callerIsAdmin else { throw IngotFailure(.permissionDenied, "only admins may read system.access.audit") }
            return try await audit.refreshed()
        }
        if Self.isSystem(name.catalog) { throw SQLError.notFound("table or view not found: \(name)") }
        return try await base.table(name)
    }

    func catalogs() async throws -> [String] {
        let names = try await base.catalogs()
        return names.contains { Self.isSystem($0) } ? names : (names + ["system"]).sorted()
    }

    func schemas(catalog: String) async throws -> [String] {
        Self.isSystem(catalog) ? ["access"] : try await base.schemas(catalog: catalog)
    }

    func tables(catalog: String, schema: String) async throws -> [String] {
        if Self.isSystem(catalog) { return schema.lowercased() == "access" ? ["audit"] : [] }
        return try await base.tables(catalog: catalog, schema: schema)
    }

    func tableCreated(_ name: SQLTableName, _ table: LakeTable) async throws {
        if Self.isSystem(name.catalog) { throw SQLError.invalid("the system catalog is read-only") }
        try await base.tableCreated(name, table)
    }

    func table(_ name: SQLTableName, location: String) async throws -> LakeTable {
        if Self.isSystem(name.catalog) { throw SQLError.invalid("the system catalog is read-only") }
        return try await base.table(name, location: location)
    }

    func tableRegistered(_ name: SQLTableName, _ table: LakeTable) async throws {
        if Self.isSystem(name.catalog) { throw SQLError.invalid("the system catalog is read-only") }
        try await base.tableRegistered(name, table)
    }

    func applyMetadata(_ change: SQLMetadataChange) async throws {
        if Self.isSystem(change.catalogName) { throw SQLError.invalid("the system catalog is read-only") }
        try await base.applyMetadata(change)
    }

    func view(_ name: SQLTableName) async throws -> SQLView? { Self.isSystem(name.catalog) ? nil : try await base.view(name) }

    func createView(_ view: SQLView, replace: Bool) async throws {
        if Self.isSystem(view.name.catalog) { throw SQLError.invalid("the system catalog is read-only") }
        try await base.createView(view, replace: replace)
    }

    func dropView(_ name: SQLTableName) async throws -> Bool { try await base.dropView(name) }
}
