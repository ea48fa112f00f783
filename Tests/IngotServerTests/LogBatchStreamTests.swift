import Foundation
import IngotTracking
import Testing

@testable import IngotServer

/// log-batch bodies are read in one streaming pass; it must agree with the generic path
/// (`JSONValueParser` + `LogBatchBody(json:)`) on values, conversions and errors.
@Suite struct LogBatchStreamTests {
    static func both(_ text: String) -> (stream: Result<LogBatchBody, any Error>, generic: Result<LogBatchBody, any Error>) {
        let data = Data(text.utf8)
        let stream = Result { try data.withUnsafeBytes { try LogBatchBody.stream($0) } }
        // The generic path as `read` used it: syntax errors become "Malformed JSON request body".
        let generic = Result {
            let json: JSONValue
            do { json = try JSONValueParser.parse(data) } catch { throw TrackingError.badRequest("Malformed JSON request body: \(error)") }
            return try LogBatchBody(json: json)
        }
        return (stream, generic)
    }

    static func summary(_ body: LogBatchBody) -> String {
        let metrics = (body.metrics ?? []).map { m in
            "\(m.key ?? "-")=\(m.value.map { $0.isNaN ? "nan" : String($0) } ?? "-")@\(m.timestamp ?? -1)/\(m.step ?? -1)/\(m.dataset_name ?? "")/\(m.dataset_digest ?? "")/\(m.model_id ?? "")"
        }
        let pairs = { (p: [LogBatchBody.Pair]?) in p.map { $0.map { "\($0.key ?? "-")=\($0.value ?? "-")" }.joined(separator: ",") } ?? "nil" }
        return "\(body.run_id ?? "nil") \(body.run_uuid ?? "nil") [\(metrics.joined(separator: ";"))] \(body.metrics == nil) \(pairs(body.params)) \(pairs(body.tags))"
    }

    @Test(arguments: [
        #"{"run_id": "r1", "metrics": [{"key": "loss", "value": 0.5, "timestamp": 1700000000000, "step": 3}]}"#,
        #"{"run_uuid": "r2", "metrics": [{"key": "a", "value": "NaN", "timestamp": "17", "step": "2"}, {"key": "b", "value": NaN, "timestamp": 5.0}]}"#,
        #"{"run_id": "r3", "params": [{"key": "lr", "value": 0.1}, {"key": "n", "value": 5}], "tags": [{"key": "t", "value": true}]}"#,
        #"{"run_id": "r4", "metrics": null, "params": [], "tags": null, "extra": {"nested": [1, 2, {"x": null}]}}"#,
        #"{"run_id": "r5", "metrics": [{"key": "m", "value": -Infinity, "timestamp": [7], "step": 0, "dataset_name": "d", "dataset_digest": "x", "model_id": "m-1", "other": [1]}]}"#,
        #"  { "run_id" : "r6" , "run_id": "r7", "metrics" : [ { "key" : "\u00e9", "value" : 1e3 , "timestamp" : 1 } ] }  "#,
    ])
    func agreesWithTheGenericReader(_ text: String) throws {
        let (stream, generic) = Self.both(text)
        #expect(Self.summary(try stream.get()) == Self.summary(try generic.get()))
    }

    @Test(arguments: [
        #"[1, 2]"#, #"{"metrics": 5}"#, #"{"metrics": [1]}"#, #"{"metrics": [{"key": "a", "value": "abc"}]}"#,
        #"{"metrics": [{"key": "a", "timestamp": 1.5}]}"#, #"{"run_id": "r", "metrics": [{"key": "a"}"#, #"{"run_id": "r"} x"#,
        #"{"params": [{"key": {"a": 1}}]}"#, "",
    ])
    func rejectsWhatTheGenericReaderRejects(_ text: String) {
        let (stream, generic) = Self.both(text)
        guard case .failure(let a) = stream, case .failure(let b) = generic else {
            Issue.record("expected both to fail: \(stream) / \(generic)")
            return
        }
        // Same error kind; messages may differ only in the byte offset of a JSON syntax error.
        #expect(String(describing: a).prefix(30) == String(describing: b).prefix(30))
    }
}
