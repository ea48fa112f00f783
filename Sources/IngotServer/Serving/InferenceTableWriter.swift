import Foundation
import IngotCatalog
import IngotLake
import IngotServing
import Logging
import Metrics
import ServiceLifecycle

/// Inference tables: appends every request and response of an endpoint with `auto_capture_config`
/// to the Delta table `<catalog>.<schema>.<prefix>_payload`, in batches written by its own service
/// loop (every second, or sooner once `batchRows` are waiting). `record(_:)` only appends to a
/// bounded buffer under a lock: when the buffer is full the record is dropped and counted
/// (`ingot_serving_inference_log_dropped_total`), so logging never holds up serving.
/// A request or response whose JSON is over 1 MiB is logged without it (null), with
/// `request_truncated` / `response_truncated` set and `MAX_REQUEST_SIZE_EXCEEDED` /
/// `MAX_RESPONSE_SIZE_EXCEEDED` in `logging_error_codes`, as Databricks does.
final class InferenceTableWriter: InferenceLogSink, Service, @unchecked Sendable {
    static let maxPayloadBytes = 1 << 20
    /// Cells past which a request's JSON is certainly over the limit (each cell takes ≥ 2 bytes).
    static let maxRequestCells = maxPayloadBytes / 2

    let tables: TableService
    let store: EndpointStore
    let capacity: Int
    let maxBufferedCells: Int
    let batchRows: Int
    let flushInterval: TimeInterval
    let logger: Logger

    struct Pending {
        var record: InferenceRecord
        var requestTooLarge: Bool
        var responseTooLarge: Bool
        var cells: Int
    }

    private let lock = NSLock()
    private var buffer: [Pending] = []
    private var bufferedCells = 0
    /// Endpoint → its enabled inference table, or nil when it does not capture. Endpoints not yet
    /// known are buffered and decided at the next flush.
    private var captures: [String: AutoCaptureConfig?] = [:]
    private var known: Set<TableName> = []
    private var lastErrors: [String: String] = [:]

    init(
        tables: TableService, store: EndpointStore, capacity: Int = 10_000, maxBufferedCells: Int = 8_000_000, batchRows: Int = 1000,
        flushInterval: TimeInterval = 1, logger: Logger = Logger(label: "ingot.serving.inference-table")
    ) {
        self.tables = tables
        self.store = store
        self.capacity = capacity
        self.maxBufferedCells = maxBufferedCells
        self.batchRows = batchRows
        self.flushInterval = flushInterval
        self.logger = logger
    }

    // MARK: - Request path

    func record(_ record: InferenceRecord) {
        var r = record
        var cells = r.request.frame.rowCount * max(1, r.request.frame.columns.count)
        let requestTooLarge = cells > Self.maxRequestCells
        if requestTooLarge {
            r.request.frame = ScoringFrame(columns: [], rows: [])
            cells = 0
        }
        let responseTooLarge = (r.response?.utf8.count ?? 0) > Self.maxPayloadBytes
        if responseTooLarge { r.response = nil }
        lock.lock()
        if let decided = captures[r.endpoint], decided == nil {
            lock.unlock()
            return
        }
        guard buffer.count < capacity, bufferedCells + cells <= maxBufferedCells else {
            lock.unlock()
            Self.countDropped(endpoint: r.endpoint, 1)
            return
        }
        buffer.append(Pending(record: r, requestTooLarge: requestTooLarge, responseTooLarge: responseTooLarge, cells: cells))
        bufferedCells += cells
        lock.unlock()
    }

    static func countDropped(endpoint: String, _ n: Int) {
        Counter(label: "ingot_serving_inference_log_dropped_total", dimensions: [("endpoint", endpoint)]).increment(by: n)
    }

    /// Swaps out the buffer (and installs the fresh capture settings) under the lock.
    private func take(refreshing fresh: [String: AutoCaptureConfig?]?) -> ([String: AutoCaptureConfig?], [Pending]) {
        lock.lock()
        defer { lock.unlock() }
        if let fresh { captures = fresh }
        let taken = buffer
        buffer.removeAll(keepingCapacity: true)
        bufferedCells = 0
        return (captures, taken)
    }

    /// Records waiting to be written.
    var pendingCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return buffer.count
    }

    // MARK: - Writing

    func run() async throws {
        await withGracefulShutdownHandler {
            var last = Date()
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 100_000_000)
                if pendingCount >= batchRows || Date().timeIntervalSince(last) >= flushInterval {
                    await flush()
                    last = Date()
                }
            }
        } onGracefulShutdown: {}
        await flush()
    }

    /// Writes what is buffered: one append commit per inference table.
    func flush() async {
        var fresh: [String: AutoCaptureConfig?]?
        if let records = try? await store.list() {
            var m: [String: AutoCaptureConfig?] = [:]
            for r in records {
                let capture = (r.config ?? r.pendingConfig)?.autoCapture
                m[r.name] = capture?.enabled == true ? capture : nil
            }
            fresh = m
        }
        let (next, taken) = take(refreshing: fresh)
        guard !taken.isEmpty else { return }

        var byTable: [TableName: (endpoint: String, rows: [Pending])] = [:]
        for p in taken {
            guard let c = next[p.record.endpoint] ?? nil else { continue }
            guard let name = try? TableName(catalog: c.catalog, schema: c.schema, table: c.payloadTable) else {
                Self.countDropped(endpoint: p.record.endpoint, 1)
                continue
            }
            byTable[name, default: (p.record.endpoint, [])].rows.append(p)
        }
        for (name, group) in byTable {
            do {
                try await write(group.rows, to: name, owner: "ingot-serving")
                lastErrors[name.description] = nil
            } catch {
                known.remove(name)
                Self.countDropped(endpoint: group.endpoint, group.rows.count)
                let message = "\(error)"
                if lastErrors[name.description] != message {
                    lastErrors[name.description] = message
                    logger.warning(
                        "inference table write failed; rows dropped",
                        metadata: ["endpoint": "\(group.endpoint)", "table": "\(name)", "rows": "\(group.rows.count)", "error": "\(message)"])
                }
            }
        }
    }

    private func write(_ rows: [Pending], to name: TableName, owner: String) async throws {
        let batch = try Self.batch(rows)
        if !known.contains(name) {
            if try await tables.namespace.tableIfExists(name) == nil {
                do {
                    try await tables.create(name, schema: Self.schema, comment: "Inference table (requests and responses of serving endpoints)", owner: owner)
                } catch let e as CatalogError {
                    // A concurrent creator got there first.
                    if try await tables.namespace.tableIfExists(name) == nil { throw e }
                }
            }
            known.insert(name)
        }
        let (_, table) = try await tables.open(name)
        let version = try await table.append([batch])
        try await tables.committed(name, table: table, version: version)
    }

    // MARK: - Rows

    static let schema = Schema([
        Field("request_id", .string, nullable: false),
        Field("client_request_id", .string),
        Field("request_date", .date, nullable: false),
        Field("request_time", .timestamp(utc: true), nullable: false),
        Field("status_code", .int32, nullable: false),
        Field("execution_duration_ms", .int64, nullable: false),
        Field("request", .string),
        Field("response", .string),
        Field("error_message", .string),
        Field("endpoint_name", .string, nullable: false),
        Field("served_entity_id", .string, nullable: false),
        Field("served_entity_version", .int64),
        Field("requester", .string),
        Field("shadow", .bool, nullable: false),
        Field("request_truncated", .bool, nullable: false),
        Field("response_truncated", .bool, nullable: false),
        Field("logging_error_codes", .listOf(.string)),
    ])

    static func batch(_ rows: [Pending]) throws -> RecordBatch {
        var b = schema.fields.map { ColumnBuilder(type: $0.type) }
        var codeOffsets: [Int32] = [0]
        var codes = ColumnBuilder(type: .string)
        func text(_ k: Int, _ s: String?) {
            if let s { b[k].append(.string(s)) } else { b[k].appendNull() }
        }
        for p in rows {
            let r = p.record
            text(0, r.requestID)
            text(1, r.clientRequestID)
            b[2].appendInt(Int64((Double(r.timestampMillis) / 86_400_000).rounded(.down)))
            b[3].appendInt(r.timestampMillis * 1000)
            b[4].appendInt(Int64(r.statusCode))
            b[5].appendInt(Int64(r.durationMillis.rounded()))
            var requestJSON = p.requestTooLarge ? nil : requestText(r.request)
            var requestTooLarge = p.requestTooLarge
            if let j = requestJSON, j.utf8.count > maxPayloadBytes {
                requestJSON = nil
                requestTooLarge = true
            }
            text(6, requestJSON)
            text(7, r.response)
            text(8, r.error)
            text(9, r.endpoint)
            text(10, r.entity)
            if let v = r.entityVersion { b[11].appendInt(Int64(v)) } else { b[11].appendNull() }
            text(12, r.requester)
            b[13].appendBool(r.shadow)
            b[14].appendBool(requestTooLarge)
            b[15].appendBool(p.responseTooLarge)
            var n = 0
            if requestTooLarge {
                codes.append(.string("MAX_REQUEST_SIZE_EXCEEDED"))
                n += 1
            }
            if p.responseTooLarge {
                codes.append(.string("MAX_RESPONSE_SIZE_EXCEEDED"))
                n += 1
            }
            codeOffsets.append(codeOffsets.last! + Int32(n))
        }
        var columns = b.dropLast().map { $0.finish() }
        columns.append(Column(type: .listOf(.string), values: .list(offsets: codeOffsets, values: codes.finish())))
        return try RecordBatch(schema: schema, columns: columns)
    }

    /// The request as MLflow's JSON scoring body: `dataframe_split` when it had column names,
    /// `inputs` (a list of rows) otherwise; with `params` and `client_request_id` when given.
    static func requestText(_ request: ScoringRequest) -> String {
        func cell(_ v: ScoringValue) -> ServingJSON {
            switch v {
            case .null: .null
            case .bool(let b): .bool(b)
            case .int(let i): .int(i)
            case .double(let d): d.isFinite ? .double(d) : .null
            case .string(let s): .string(s)
            }
        }
        let data = ServingJSON.array(request.frame.rows.map { .array($0.map(cell)) })
        var fields: [(String, ServingJSON)] =
            request.frame.columns.isEmpty
            ? [("inputs", data)]
            : [("dataframe_split", .object([("columns", .array(request.frame.columns.map { .string($0) })), ("data", data)]))]
        if let p = request.params { fields.append(("params", p)) }
        if let c = request.clientRequestID { fields.append(("client_request_id", .string(c))) }
        return ServingJSON.object(fields).serialized
    }
}
