import Foundation
import IngotCatalog
import IngotCore
import IngotLake
@testable import IngotServing
import Testing

@testable import IngotServer

/// The inference-table writer: bounded buffer that drops instead of blocking, batched appends to
/// `<catalog>.<schema>.<prefix>_payload`, size flags, endpoints without capture are not logged.
@Suite struct ServingInferenceTableTests {
    static func record(_ endpoint: String, id: String, status: Int = 200, response: String? = "{\"predictions\": [1.0]}") -> InferenceRecord {
        InferenceRecord(
            requestID: id, clientRequestID: "c-" + id, endpoint: endpoint, entity: "e1", entityVersion: 3, timestampMillis: 1_700_000_000_123,
            statusCode: status, durationMillis: 2.4,
            request: ScoringRequest(frame: ScoringFrame(columns: ["a", "b"], rows: [[.double(1.5), .int(2)]]), clientRequestID: "c-" + id, format: .dataframeSplit),
            response: response, error: status == 200 ? nil : "bad", shadow: false, requester: "alice")
    }

    @Test func bufferIsBoundedAndNeverBlocks() throws {
        let services = try ServerTests.makeServices()
        let writer = InferenceTableWriter(tables: services.tables, store: services.endpoints.store, capacity: 3)
        for k in 0..<10 { writer.record(Self.record("ep", id: "\(k)")) }
        #expect(writer.pendingCount == 3)
    }

    @Test func flushAppendsRowsToThePayloadTable() async throws {
        let services = try ServerTests.makeServices()
        _ = try await services.tables.namespace.createSchema(catalog: "main", name: "logs", owner: "test")
        let capture = AutoCaptureConfig(catalog: "main", schema: "logs", tablePrefix: "ep", enabled: true)
        let config = EndpointConfig(
            entities: [ServedEntity(name: "e1", modelName: "m", version: 1, alias: nil, resolvedVersion: 1)],
            routes: [TrafficRoute(entityName: "e1", percentage: 100)], autoCapture: capture)
        try await services.endpoints.store.insert(name: "ep", creator: nil, description: nil, tags: [], pending: config)
        var plain = config
        plain.autoCapture = nil
        try await services.endpoints.store.insert(name: "other", creator: nil, description: nil, tags: [], pending: plain)

        let writer = InferenceTableWriter(tables: services.tables, store: services.endpoints.store)
        writer.record(Self.record("ep", id: "1"))
        writer.record(Self.record("ep", id: "2", status: 400, response: nil))
        writer.record(Self.record("ep", id: "3", response: String(repeating: "x", count: InferenceTableWriter.maxPayloadBytes + 1)))
        writer.record(Self.record("other", id: "4"))
        await writer.flush()
        // Now known not to capture: dropped at once.
        writer.record(Self.record("other", id: "5"))
        #expect(writer.pendingCount == 0)

        let name = try TableName(catalog: "main", schema: "logs", table: "ep_payload")
        let (schema, batches) = try await services.tables.preview(name, limit: 100)
        #expect(schema.fields.map(\.name) == InferenceTableWriter.schema.fields.map(\.name))
        let batch = try #require(batches.first)
        #expect(batches.reduce(0) { $0 + $1.numRows } == 3)
        let ids = (0..<batch.numRows).map { batch.column(named: "request_id")!.value(at: $0) }
        #expect(ids == [.string("1"), .string("2"), .string("3")])
        #expect(batch.column(named: "status_code")!.value(at: 1) == .int(400))
        #expect(batch.column(named: "response")!.value(at: 1) == nil)
        #expect(batch.column(named: "response_truncated")!.value(at: 2) == .bool(true))
        #expect(batch.column(named: "response")!.value(at: 2) == nil)
        #expect(batch.column(named: "request_time")!.value(at: 0) == .int(1_700_000_000_123_000))
        #expect(batch.column(named: "request_date")!.value(at: 0) == .int(19675))
        let request = try #require(batch.column(named: "request")!.value(at: 0))
        #expect(request == .string(#"{"dataframe_split":{"columns":["a","b"],"data":[[1.5,2]]},"client_request_id":"c-1"}"#))
    }
}
