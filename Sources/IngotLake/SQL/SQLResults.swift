import Foundation
import GRDBSQLite

/// SQLite values → lake values of a given type.
enum SQLValueConversion {
    enum Outcome { case value(Value?), mismatch }

    static func convert(_ v: SQLiteScalar, to t: LakeType) -> Outcome {
        if v == .null { return .value(nil) }
        switch t {
        case .bool:
            switch v {
            case .int(let x): return .value(.bool(x != 0))
            case .real(let d): return .value(.bool(d != 0))
            case .text(let s):
                switch s.lowercased() {
                case "true", "t", "1": return .value(.bool(true))
                case "false", "f", "0": return .value(.bool(false))
                default: return .mismatch
                }
            default: return .mismatch
            }
        case .int8, .int16, .int32, .int64:
            let x: Int64
            switch v {
            case .int(let i): x = i
            case .real(let d):
                guard d.isFinite, d == d.rounded(.towardZero), abs(d) < 9.2e18 else { return .mismatch }
                x = Int64(d)
            case .text(let s):
                guard let i = Int64(s.trimmingCharacters(in: .whitespaces)) else { return .mismatch }
                x = i
            default: return .mismatch
            }
            switch t {
            case .int8: if Int8(exactly: x) == nil { return .mismatch }
            case .int16: if Int16(exactly: x) == nil { return .mismatch }
            case .int32: if Int32(exactly: x) == nil { return .mismatch }
            default: break
            }
            return .value(.int(x))
        case .float32, .float64:
            switch v {
            case .int(let i): return .value(.double(Double(i)))
            case .real(let d): return .value(.double(d))
            case .text(let s): return SparkFunctions.castDouble(.text(s)).map { .value(.double($0)) } ?? .mismatch
            default: return .mismatch
            }
        case .string:
            switch v {
            case .text(let s): return .value(.string(s))
            case .int(let i): return .value(.string(String(i)))
            case .real(let d): return .value(.string(SQLTypes.javaDouble(d)))
            case .blob(let b): return .value(.string(String(decoding: b, as: UTF8.self)))
            case .null: return .value(nil)
            }
        case .binary:
            switch v {
            case .blob(let b): return .value(.bytes(b))
            case .text(let s): return .value(.bytes(Array(s.utf8)))
            default: return .mismatch
            }
        case .date:
            guard case .text(let s) = v, let d = SQLTypes.parseDate(s) else { return .mismatch }
            return .value(.int(d))
        case .timestamp:
            guard case .text(let s) = v, let us = SQLTypes.parseTimestamp(s) else { return .mismatch }
            return .value(.int(us))
        case .decimal(let p, let s):
            let u: Int128?
            switch v {
            case .int(let i): u = SQLTypes.decimal(fromText: String(i), precision: p, scale: s)
            case .real(let d): u = SQLTypes.decimal(from: d, precision: p, scale: s)
            case .text(let x): u = SQLTypes.decimal(fromText: x, precision: p, scale: s)
            default: u = nil
            }
            return u.map { .value(.decimal($0)) } ?? .mismatch
        default:
            return .mismatch
        }
    }

    static func describe(_ v: SQLiteScalar) -> String {
        switch v {
        case .null: return "NULL"
        case .int(let x): return String(x)
        case .real(let d): return String(d)
        case .text(let s): return "'" + String(s.prefix(40)) + "'"
        case .blob(let b): return "X'" + SparkFunctions.hex(b.prefix(20)) + "'"
        }
    }
}

/// Accumulates SQLite rows into typed ``RecordBatch``es.
///
/// Column types come from (in order): a target schema (INSERT/CTAS with columns), the declared type
/// of a direct column reference, a type hint from the select expression, or the values of the first
/// batch (INTEGER → bigint, REAL → double, timestamp-shaped TEXT → timestamp, TEXT → string,
/// BLOB → binary). Once decided a column keeps its type; later values that do not fit raise an
/// error rather than being silently changed.
final class ResultBuilder {
    let names: [String]
    private let declared: [LakeType?]
    private let hints: [LakeType?]
    private let target: [Field]?
    private(set) var types: [LakeType?]
    private var columns: [[SQLiteScalar]]
    private(set) var rowCount = 0
    private var decided = false

    init(names: [String], declared: [LakeType?], hints: [LakeType?], target: [Field]?) {
        self.names = names
        self.declared = declared
        self.hints = hints
        self.target = target
        types = Array(repeating: nil, count: names.count)
        columns = Array(repeating: [], count: names.count)
    }

    var pending: Int { columns.first?.count ?? 0 }

    func add(_ stmt: OpaquePointer) {
        for i in 0..<names.count { columns[i].append(SQLiteScalar(stmt: stmt, column: Int32(i))) }
        rowCount += 1
    }

    private func fits(_ values: [SQLiteScalar], _ t: LakeType) -> Bool {
        for v in values {
            if case .mismatch = SQLValueConversion.convert(v, to: t) { return false }
        }
        return true
    }

    private func infer(_ values: [SQLiteScalar]) -> LakeType {
        var sawInt = false, sawReal = false, sawText = false, sawBlob = false, allTimestamps = true
        for v in values {
            switch v {
            case .null: continue
            case .int: sawInt = true
            case .real: sawReal = true
            case .text(let s):
                sawText = true
                if allTimestamps, !SQLTypes.isTimestampText(s) { allTimestamps = false }
            case .blob: sawBlob = true
            }
        }
        if sawText || (sawBlob && (sawInt || sawReal)) {
            return sawText && allTimestamps && !sawInt && !sawReal && !sawBlob ? .timestamp(utc: true) : .string
        }
        if sawBlob { return .binary }
        if sawReal { return .float64 }
        if sawInt { return .int64 }
        return .string
    }

    private func decide() {
        for i in 0..<names.count {
            if let target {
                types[i] = target[i].type
                continue
            }
            if let d = declared[i], fits(columns[i], d) {
                types[i] = d
            } else if i < hints.count, let h = hints[i], fits(columns[i], h) {
                types[i] = h
            } else {
                types[i] = infer(columns[i])
            }
        }
        decided = true
    }

    /// The schema (deciding the column types if no batch was built yet).
    var schema: Schema {
        if !decided { decide() }
        if let target { return Schema(target) }
        return Schema(names.enumerated().map { Field($0.element, types[$0.offset] ?? .string) })
    }

    /// The pending rows as a batch.
    func flush() throws -> RecordBatch {
        if !decided { decide() }
        var cols: [Column] = []
        for i in 0..<names.count {
            let t = types[i] ?? .string
            var b = ColumnBuilder(type: t)
            b.reserve(columns[i].count)
            for (r, v) in columns[i].enumerated() {
                switch SQLValueConversion.convert(v, to: t) {
                case .value(let x): b.append(x)
                case .mismatch:
                    let row = rowCount - columns[i].count + r + 1
                    throw SQLError.execution("column \(names[i]) (\(SQLTypes.sparkName(t))): value \(SQLValueConversion.describe(v)) in row \(row) does not fit; add a CAST")
                }
            }
            cols.append(b.finish())
            columns[i].removeAll(keepingCapacity: true)
        }
        let batch = try RecordBatch(schema: schema, columns: cols)
        return batch
    }
}

/// Hands batches from the blocking SQLite thread to an async consumer, one at a time: the producer
/// waits until the consumer asks for the next batch (so results are never buffered beyond one batch).
final class PullChannel: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: RecordBatch?
    private var finished = false
    private var failure: Error?
    private var finalSchema: Schema?
    private var consumer: CheckedContinuation<RecordBatch?, Error>?
    private var closed = false
    private var delivered = false
    private let space = DispatchSemaphore(value: 0)

    /// Producer: sends a batch and waits until the consumer wants another. False once the consumer closed.
    func send(_ b: RecordBatch) -> Bool {
        lock.lock()
        if closed { lock.unlock(); return false }
        if let c = consumer {
            consumer = nil
            lock.unlock()
            c.resume(returning: b)
        } else {
            pending = b
            lock.unlock()
        }
        space.wait()
        return lock.withLock { !closed }
    }

    /// Producer: no more batches.
    func finish(schema: Schema?, error: Error?) {
        lock.lock()
        finished = true
        finalSchema = schema
        failure = error
        let c = consumer
        consumer = nil
        lock.unlock()
        if let c {
            if let error { c.resume(throwing: error) } else { c.resume(returning: nil) }
        }
    }

    var schema: Schema? { lock.withLock { finalSchema } }

    /// Consumer: the next batch, nil at the end.
    func next() async throws -> RecordBatch? {
        let wasDelivered = lock.withLock { () -> Bool in
            let d = delivered
            delivered = true
            return d
        }
        if wasDelivered { space.signal() }
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<RecordBatch?, Error>) in
            lock.lock()
            if let p = pending {
                pending = nil
                lock.unlock()
                c.resume(returning: p)
                return
            }
            if finished {
                let e = failure
                lock.unlock()
                if let e { c.resume(throwing: e) } else { c.resume(returning: nil) }
                return
            }
            consumer = c
            lock.unlock()
        }
    }

    /// Consumer: stop (the producer's next send returns false).
    func close() {
        let wasClosed = lock.withLock { () -> Bool in
            let w = closed
            closed = true
            return w
        }
        if !wasClosed { space.signal() }
    }
}
