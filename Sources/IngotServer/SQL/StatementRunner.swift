import IngotIdentity
import Foundation
import IngotCatalog
import IngotCore
import IngotLake
import ServiceLifecycle

/// Runs submitted SQL statements. Each statement gets its own engine session (an in-memory SQLite
/// connection over the lake); statements run as child tasks of the runner's task group, which the
/// application's service group owns, so none outlives the server.
struct StatementRunner: Service {
    struct Job: Sendable {
        let id: String
        let statement: String
        let catalog: String
        let schema: String
        let rowLimit: Int?
        let principal: String
        /// Whether the caller may read admin-only system tables (`system.access.audit`).
        var callerIsAdmin = false
        /// The caller, for catalog privileges (checked when the runner has an authorizer).
        var caller: Principal? = nil
    }

    let store: StatementStore
    let tables: TableService
    /// Rendered result bytes kept per statement (Databricks' INLINE limit); beyond it the result is truncated.
    let byteLimit: Int
    private let jobs: AsyncStream<Job>
    private let submitter: AsyncStream<Job>.Continuation

    /// The `system` catalog's audit table; nil leaves the catalog out.
    let auditTable: AuditSystemTable?
    /// Checks catalog privileges per table (auth on only); nil lets every statement through.
    var authorizer: ACLAuthorizer?
    /// Looks up a view owner (groups, admin) for owner-rights checks; nil checks owners by name alone.
    var principals: (@Sendable (String) async throws -> Principal?)?
    /// Records the lineage of statements that write tables; nil records none.
    var lineage: StatementLineageRecorder?

    init(store: StatementStore, tables: TableService, auditTable: AuditSystemTable? = nil, byteLimit: Int = 25 << 20) {
        self.store = store
        self.tables = tables
        self.auditTable = auditTable
        self.byteLimit = byteLimit
        (jobs, submitter) = AsyncStream.makeStream(of: Job.self)
    }

    func submit(_ job: Job) { submitter.yield(job) }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            // Stop taking statements on graceful shutdown; running ones are cancelled with the group.
            await withGracefulShutdownHandler {
                for await job in jobs {
                    group.addTask { await execute(job) }
                }
            } onGracefulShutdown: {
                submitter.finish()
            }
        }
    }

    func resolver(_ job: Job) -> any TableResolver {
        let namespace = NamespaceTableResolver(tables: tables, owner: job.principal)
        let base: any TableResolver =
            if let auditTable { SystemTablesResolver(base: namespace, audit: auditTable, callerIsAdmin: job.callerIsAdmin) } else { namespace }
        guard let authorizer, let caller = job.caller, !caller.isAdmin else { return base }
        return AuthorizingTableResolver(base: base, caller: caller, authorizer: authorizer, principals: principals)
    }

    func execute(_ job: Job) async {
        let engine: SQLEngine
        let recorder = CommitRecordingResolver(base: resolver(job))
        do {
            engine = try SQLEngine(
                resolver: recorder, options: SQLEngineOptions(catalog: job.catalog, schema: job.schema))
        } catch {
            await store.fail(job.id, code: "INTERNAL_ERROR", message: "\(error)")
            return
        }
        guard await store.start(job.id, engine: engine) else { return }
        let collector = ResultCollector(rowLimit: job.rowLimit, byteLimit: byteLimit)
        do {
            let execution = try await withTaskCancellationHandler {
                try await engine.execute(job.statement) { batch in try collector.add(batch) }
            } onCancel: {
                engine.cancel()
            }
            if let lineage, execution.kind == .dml || execution.kind == .ddl {
                await lineage.record(statementID: job.id, statement: job.statement, catalog: job.catalog, schema: job.schema, principal: job.principal)
            }
            await store.finish(job.id, result: collector.result(execution))
            // Tell commit listeners (quality monitors) about what the statement wrote; they only queue work.
            for name in recorder.writtenTables { await tables.commitListener?.tableCommitted(name) }
        } catch is ResultCollector.Full {
            // The limit was reached: the rows kept are the answer, marked truncated.
            let schema = collector.schema ?? Schema([])
            await store.finish(job.id, result: collector.result(schema: schema, affected: nil))
        } catch {
            let (code, message) = Self.describe(error)
            await store.fail(job.id, code: code, message: message)
        }
    }

    /// Databricks error codes for engine failures.
    static func describe(_ error: any Error) -> (String, String) {
        switch error {
        case SQLError.cancelled: return ("CANCELLED", "\(error)")
        case let ingot as any IngotError: return (ingot.errorCode.rawValue, ingot.message)
        default: return ("BAD_REQUEST", "\(error)")
        }
    }
}

/// Renders batches into JSON_ARRAY chunks as they stream, within a row and byte budget.
final class ResultCollector: @unchecked Sendable {
    struct Full: Error {}
    let rowLimit: Int?
    let byteLimit: Int
    private let lock = NSLock()
    private(set) var schema: Schema?
    private var chunks: [[[String?]]] = [[]]
    private var rows = 0
    private var bytes = 0
    private var truncated = false

    init(rowLimit: Int?, byteLimit: Int) {
        self.rowLimit = rowLimit
        self.byteLimit = byteLimit
    }

    func add(_ batch: RecordBatch) throws {
        try lock.withLock {
            if schema == nil { schema = batch.schema }
            for r in 0..<batch.numRows {
                if let rowLimit, rows >= rowLimit {
                    truncated = true
                    throw Full()
                }
                var row: [String?] = []
                row.reserveCapacity(batch.columns.count)
                for column in batch.columns {
                    if column.isNull(r) {
                        row.append(nil)
                        bytes += 4
                    } else {
                        let text = StatementJSON.text(column, r)
                        bytes += text.utf8.count + 3
                        row.append(text)
                    }
                }
                if bytes > byteLimit {
                    truncated = true
                    throw Full()
                }
                if chunks[chunks.count - 1].count >= StatementStore.chunkRows { chunks.append([]) }
                chunks[chunks.count - 1].append(row)
                rows += 1
            }
        }
    }

    func result(_ execution: SQLExecution) -> StatementStore.Result {
        result(schema: execution.schema, affected: execution.affectedRows)
    }

    func result(schema: Schema, affected: Int64?) -> StatementStore.Result {
        lock.withLock {
            let columns = schema.fields.enumerated().map { i, f in
                var precision: Int?
                var scale: Int?
                if case .decimal(let p, let s) = f.type {
                    precision = p
                    scale = s
                }
                return StatementStore.Column(
                    name: f.name, type_text: SparkTypes.text(f.type), type_name: SparkTypes.typeName(f.type), position: i, type_precision: precision,
                    type_scale: scale)
            }
            return StatementStore.Result(
                columns: columns, chunks: rows == 0 ? [] : chunks, totalRows: rows, truncated: truncated, affectedRows: affected)
        }
    }
}
