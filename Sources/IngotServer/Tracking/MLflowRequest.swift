import Foundation
import Hummingbird
import IngotTracking

/// A JSON value decoded leniently: MLflow clients send int64 as numbers (sometimes strings),
/// doubles as numbers or "NaN"/"Infinity", and GET requests carry everything as strings.
enum JSONValue: Codable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let v = try? c.decode(Bool.self) {
            self = .bool(v)
        } else if let v = try? c.decode(Int64.self) {
            self = .int(v)
        } else if let v = try? c.decode(Double.self) {
            self = .double(v)
        } else if let v = try? c.decode(String.self) {
            self = .string(v)
        } else if let v = try? c.decode([JSONValue].self) {
            self = .array(v)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let v): try c.encode(v)
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .array(let v): try c.encode(v)
        case .object(let v): try c.encode(v)
        }
    }
}

/// The fields of one MLflow request, from the JSON body (POST, PATCH, DELETE) or the query
/// string (GET), with typed accessors that report MLflow's errors.
struct MLflowParams: Sendable {
    var fields: [String: JSONValue]

    init(fields: [String: JSONValue]) { self.fields = fields }

    /// Decodes a query string as HTML forms (and Python's `requests`, which the mlflow client
    /// uses) encode it: `+` is a space, `%2B` a plus. Repeated keys become lists.
    static func formFields(_ query: String) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let spaced = s.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let key = decode(parts[0])
            let value = JSONValue.string(parts.count > 1 ? decode(parts[1]) : "")
            switch fields[key] {
            case .array(let items)?: fields[key] = .array(items + [value])
            case let existing?: fields[key] = .array([existing, value])
            case nil: fields[key] = value
            }
        }
        return fields
    }

    /// Reads the request: JSON body for methods with bodies (falling back to the query string when
    /// the body is empty), the query string for GET/HEAD.
    static func read(_ request: Request, context: IngotRequestContext) async throws -> MLflowParams {
        var fields = formFields(request.uri.query ?? "")
        if request.method != .get && request.method != .head {
            let buffer = try await request.body.collect(upTo: context.maxBodyBytes)
            if buffer.readableBytes > 0 {
                let value: JSONValue
                do {
                    value = try JSONValueParser.parse(buffer)
                } catch {
                    throw TrackingError.badRequest("Malformed JSON request body: \(error)")
                }
                guard case .object(let object) = value else {
                    throw TrackingError.badRequest("The request body must be a JSON object")
                }
                for (k, v) in object { fields[k] = v }
            }
        }
        return MLflowParams(fields: fields)
    }

    func has(_ key: String) -> Bool {
        if case .null? = fields[key] { return false }
        return fields[key] != nil
    }

    func string(_ key: String) throws -> String? { try Self.string(fields[key], key) }

    static func string(_ value: JSONValue?, _ key: String) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        case .double(let d)?: return String(d)
        case .bool(let b)?: return String(b)
        case .array(let items)?:
            if let first = items.first, items.count == 1 { return try string(first, key) }
            throw TrackingError.invalidParameter("Invalid value for parameter '\(key)': expected a single value")
        case .object?: throw TrackingError.invalidParameter("Invalid value for parameter '\(key)': expected a string")
        }
    }

    func required(_ key: String) throws -> String {
        guard let value = try string(key), !value.isEmpty else { throw TrackingErrorFactory.missing(key) }
        return value
    }

    /// The run id from `run_id` or the legacy `run_uuid`.
    func runID() throws -> String {
        if let id = try string("run_id"), !id.isEmpty { return id }
        if let id = try string("run_uuid"), !id.isEmpty { return id }
        throw TrackingErrorFactory.missing("run_id")
    }

    func int64(_ key: String) throws -> Int64? { try Self.int64(fields[key], key) }

    static func int64(_ value: JSONValue?, _ key: String) throws -> Int64? {
        switch value {
        case nil, .null?: return nil
        case .int(let i)?: return i
        case .double(let d)?:
            guard d.rounded() == d, abs(d) < 9.2e18 else { throw invalid(key, String(d)) }
            return Int64(d)
        case .string(let s)?:
            if s.isEmpty { return nil }
            guard let i = Int64(s) else { throw invalid(key, s) }
            return i
        case .array(let items)? where items.count == 1: return try int64(items[0], key)
        case let other?: throw invalid(key, "\(other)")
        }
    }

    func int(_ key: String) throws -> Int? { try int64(key).map { Int(clamping: $0) } }

    func double(_ key: String) throws -> Double? { try Self.double(fields[key], key) }

    static func double(_ value: JSONValue?, _ key: String) throws -> Double? {
        switch value {
        case nil, .null?: return nil
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        case .string(let s)?:
            switch s {
            case "NaN", "nan": return .nan
            case "Infinity", "inf", "Inf": return .infinity
            case "-Infinity", "-inf", "-Inf": return -.infinity
            default:
                guard let d = Double(s) else { throw invalid(key, s) }
                return d
            }
        case let other?: throw invalid(key, "\(other)")
        }
    }

    func bool(_ key: String) throws -> Bool? {
        switch fields[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case .string(let s)?: return s.lowercased() == "true" || s == "1"
        case .int(let i)?: return i != 0
        default: throw Self.invalid(key, "\(fields[key]!)")
        }
    }

    /// A repeated string field (a single value counts as a list of one).
    func strings(_ key: String) throws -> [String] {
        switch fields[key] {
        case nil, .null?: return []
        case .array(let items)?:
            return try items.map { item in try MLflowParams(fields: ["v": item]).string("v") ?? "" }
        default: return [try string(key) ?? ""]
        }
    }

    /// A repeated message field.
    func objects(_ key: String) throws -> [MLflowParams] {
        switch fields[key] {
        case nil, .null?: return []
        case .array(let items)?:
            return try items.map { item in
                guard case .object(let o) = item else { throw TrackingError.invalidParameter("Invalid value for parameter '\(key)': expected objects") }
                return MLflowParams(fields: o)
            }
        case .object(let o)?: return [MLflowParams(fields: o)]
        case .string(let s)?:
            // GET requests may carry a repeated message as JSON text.
            if let data = s.data(using: .utf8), let value = try? JSONDecoder().decode(JSONValue.self, from: data) {
                return try MLflowParams(fields: [key: value]).objects(key)
            }
            throw TrackingError.invalidParameter("Invalid value for parameter '\(key)'")
        default: throw TrackingError.invalidParameter("Invalid value for parameter '\(key)': expected a list")
        }
    }

    func object(_ key: String) throws -> MLflowParams? {
        switch fields[key] {
        case nil, .null?: return nil
        case .object(let o)?: return MLflowParams(fields: o)
        default: throw TrackingError.invalidParameter("Invalid value for parameter '\(key)': expected an object")
        }
    }

    /// `[{key, value}]` pairs (tags, params).
    func keyValues(_ key: String) throws -> [KeyValue] {
        try objects(key).map { KeyValue(key: try $0.string("key") ?? "", value: try $0.string("value") ?? "") }
    }

    private static func invalid(_ key: String, _ value: String) -> TrackingError {
        TrackingError.invalidParameter("Invalid value \(value) for parameter '\(key)' supplied.")
    }
}

enum TrackingErrorFactory {
    static func missing(_ field: String) -> TrackingError {
        .invalidParameter("Missing value for required parameter '\(field)'. See the API docs for more information about request parameters.")
    }
}

/// JSON encoding for tracking answers: NaN and infinities as MLflow's strings, no key sorting.
enum TrackingJSON {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func empty() -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
    }
}

/// The log-batch body decoded in one typed pass (the hot path: up to 1000 metrics per request).
/// Numbers may arrive as JSON numbers or strings; NaN and infinities as MLflow's strings.
/// The `runs/log-batch` body, read straight from the byte parser: a thousand metric objects per
/// request make this the hottest request path, so it skips `MLflowParams` dictionaries per field.
/// A value that starts empty and is filled member by member.
protocol BlankInit { init() }

struct LogBatchBody {
    struct MetricBody: BlankInit {
        var key: String?
        var value: Double?
        var timestamp: Int64?
        var step: Int64?
        var dataset_name: String?
        var dataset_digest: String?
        var model_id: String?
    }
    struct Pair: BlankInit {
        var key: String?
        var value: String?
    }

    var run_id: String?
    var run_uuid: String?
    var metrics: [MetricBody]?
    var params: [Pair]?
    var tags: [Pair]?

    init(json: JSONValue) throws {
        guard case .object(let fields) = json else { throw TrackingError.badRequest("The request body must be a JSON object") }
        let top = MLflowParams(fields: fields)
        run_id = try top.string("run_id")
        run_uuid = try top.string("run_uuid")
        metrics = try Self.objects(fields["metrics"], "metrics")?.map { item in
            let m = MLflowParams(fields: item)
            return MetricBody(
                key: try m.string("key"), value: try m.double("value"), timestamp: try m.int64("timestamp"), step: try m.int64("step"),
                dataset_name: try m.string("dataset_name"), dataset_digest: try m.string("dataset_digest"), model_id: try m.string("model_id"))
        }
        params = try Self.pairs(fields["params"], "params")
        tags = try Self.pairs(fields["tags"], "tags")
    }

    private static func objects(_ value: JSONValue?, _ name: String) throws -> [[String: JSONValue]]? {
        switch value {
        case nil, .null?: return nil
        case .array(let items)?:
            return try items.map { item in
                guard case .object(let object) = item else {
                    throw TrackingError.badRequest("Invalid value for parameter '\(name)': expected a list of objects")
                }
                return object
            }
        default: throw TrackingError.badRequest("Invalid value for parameter '\(name)': expected a list")
        }
    }

    private static func pairs(_ value: JSONValue?, _ name: String) throws -> [Pair]? {
        try objects(value, name).map { items in
            try items.map { item in
                let p = MLflowParams(fields: item)
                return Pair(key: try p.string("key"), value: try p.string("value"))
            }
        }
    }

    init() {}

    static func read(_ request: Request, context: IngotRequestContext) async throws -> LogBatchBody {
        let buffer = try await request.body.collect(upTo: context.maxBodyBytes)
        return try buffer.withUnsafeReadableBytes { try stream($0) }
    }

    /// Reads the body in one pass straight into the struct: a thousand metric objects become
    /// `MetricBody` values without a dictionary per object (the same conversions and messages as
    /// ``init(json:)``, which the tests compare it with).
    static func stream(_ bytes: UnsafeRawBufferPointer) throws -> LogBatchBody {
        var parser = JSONValueParser(bytes)
        var body = LogBatchBody()
        do {
            guard parser.peek() == UInt8(ascii: "{") else {
                // Not an object: parse generically so malformed JSON gets the JSON error first.
                _ = try JSONValueParser.parse(bytes)
                throw TrackingError.badRequest("The request body must be a JSON object")
            }
            try parser.members(depth: 1) { key, p in
                switch key {
                case "metrics":
                    body.metrics = try objects(&p, key) { k, p, metric in
                        switch k {
                        case "key": metric.key = try MLflowParams.string(p.value(depth: 3), k)
                        case "value": metric.value = try MLflowParams.double(p.value(depth: 3), k)
                        case "timestamp": metric.timestamp = try MLflowParams.int64(p.value(depth: 3), k)
                        case "step": metric.step = try MLflowParams.int64(p.value(depth: 3), k)
                        case "dataset_name": metric.dataset_name = try MLflowParams.string(p.value(depth: 3), k)
                        case "dataset_digest": metric.dataset_digest = try MLflowParams.string(p.value(depth: 3), k)
                        case "model_id": metric.model_id = try MLflowParams.string(p.value(depth: 3), k)
                        default: _ = try p.value(depth: 3)
                        }
                    } as [MetricBody]?
                case "params", "tags":
                    let pairs = try objects(&p, key) { k, p, pair in
                        switch k {
                        case "key": pair.key = try MLflowParams.string(p.value(depth: 3), k)
                        case "value": pair.value = try MLflowParams.string(p.value(depth: 3), k)
                        default: _ = try p.value(depth: 3)
                        }
                    } as [Pair]?
                    if key == "params" { body.params = pairs } else { body.tags = pairs }
                case "run_id": body.run_id = try MLflowParams.string(p.value(depth: 1), key)
                case "run_uuid": body.run_uuid = try MLflowParams.string(p.value(depth: 1), key)
                default: _ = try p.value(depth: 1)
                }
            }
            try parser.expectEnd()
        } catch let failure as JSONValueParser.Failure {
            throw TrackingError.badRequest("Malformed JSON request body: \(failure)")
        }
        return body
    }

    /// A JSON array of objects read member by member into `T`s (null or absent → nil).
    private static func objects<T: BlankInit>(
        _ p: inout JSONValueParser, _ name: String, _ member: (String, inout JSONValueParser, inout T) throws -> Void
    ) throws -> [T]? {
        switch p.peek() {
        case UInt8(ascii: "n"):
            _ = try p.value(depth: 2)
            return nil
        case UInt8(ascii: "["):
            var items: [T] = []
            try p.elements(depth: 2) { p in
                guard p.peek() == UInt8(ascii: "{") else {
                    _ = try p.value(depth: 3)
                    throw TrackingError.badRequest("Invalid value for parameter '\(name)': expected a list of objects")
                }
                var item = T()
                try p.members(depth: 3) { k, p in try member(k, &p, &item) }
                items.append(item)
            }
            return items
        default:
            _ = try p.value(depth: 2)
            throw TrackingError.badRequest("Invalid value for parameter '\(name)': expected a list")
        }
    }

    func domainMetrics() throws -> [Metric] {
        try (metrics ?? []).map { m in
            guard let key = m.key else { throw TrackingErrorFactory.missing("metrics.key") }
            guard let value = m.value else { throw TrackingErrorFactory.missing("metrics.value") }
            guard let timestamp = m.timestamp else { throw TrackingErrorFactory.missing("metrics.timestamp") }
            return Metric(
                key: key, value: value, timestamp: timestamp, step: m.step ?? 0, datasetName: m.dataset_name, datasetDigest: m.dataset_digest,
                modelID: m.model_id)
        }
    }
}
