import Foundation
import IngotStorage
import Testing

@testable import IngotCatalog

@Suite struct OpenLineageEventTests {
    static func parse(_ json: String) throws -> OpenLineageEvent { try OpenLineageEvent.parse(Data(json.utf8)) }

    static let run = """
        {"eventType": "COMPLETE", "eventTime": "2026-11-26T09:00:00.123Z", "producer": "https://x", "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
         "run": {"runId": "0196f5b4-3c1e-7d33-9a43-5c7e1b2d9a10"}, "job": {"namespace": "airflow", "name": "dag.task"},
         "inputs": [{"namespace": "postgres://db", "name": "public.users"}],
         "outputs": [{"namespace": "ingot", "name": "main.s.scores", "facets": {
            "schema": {"fields": [{"name": "user_id", "type": "INT"}, {"name": "score"}]},
            "columnLineage": {"fields": {"score": {"inputFields": [{"namespace": "postgres://db", "name": "public.users", "field": "visits"},
                                                                    {"namespace": "postgres://db", "name": "public.events", "field": "n"}]}}}}}]}
        """

    @Test func parsesARunEventWithColumnLineage() throws {
        let e = try Self.parse(Self.run)
        #expect(e.kind == .run && e.eventType == "COMPLETE" && e.runID == "0196f5b4-3c1e-7d33-9a43-5c7e1b2d9a10")
        #expect(e.job?.namespace == "airflow" && e.job?.name == "dag.task")
        #expect(e.inputs.map(\.name) == ["public.users"])
        #expect(e.outputs[0].columns == ["user_id", "score"])
        #expect(e.outputs[0].columnLineage["score"]?.map(\.field) == ["visits", "n"])
    }

    @Test func datasetAndJobEvents() throws {
        let d = try Self.parse(#"{"eventTime": "2026-11-26T09:00:00Z", "producer": "p", "schemaURL": "s", "dataset": {"namespace": "s3://b", "name": "raw"}}"#)
        #expect(d.kind == .dataset && d.outputs.map(\.name) == ["raw"])
        let j = try Self.parse(#"{"eventTime": "2026-11-26T09:00:00Z", "producer": "p", "job": {"namespace": "n", "name": "j"}, "inputs": [{"namespace": "a", "name": "b"}], "outputs": []}"#)
        #expect(j.kind == .job && j.runID == nil && j.inputs.count == 1)
    }

    @Test(arguments: [
        (#"[1]"#, "JSON object"),
        (#"{"producer": "p", "job": {"namespace": "n", "name": "j"}}"#, "eventTime"),
        (#"{"eventTime": "soon", "producer": "p", "job": {"namespace": "n", "name": "j"}}"#, "eventTime"),
        (#"{"eventTime": "2026-11-26T09:00:00Z", "job": {"namespace": "n", "name": "j"}}"#, "producer"),
        (#"{"eventTime": "2026-11-26T09:00:00Z", "producer": "p"}"#, "job"),
        (#"{"eventTime": "2026-11-26T09:00:00Z", "producer": "p", "run": {"runId": "x"}, "job": {"namespace": "n", "name": "j"}}"#, "run.runId"),
        (#"{"eventTime": "2026-11-26T09:00:00Z", "producer": "p", "eventType": "DONE", "run": {"runId": "0196f5b4-3c1e-7d33-9a43-5c7e1b2d9a10"}, "job": {"namespace": "n", "name": "j"}}"#, "eventType"),
        (#"{"eventTime": "2026-11-26T09:00:00Z", "producer": "p", "job": {"namespace": "n", "name": "j"}, "inputs": {}}"#, "inputs"),
        (#"{"eventTime": "2026-11-26T09:00:00Z", "producer": "p", "job": {"namespace": "n", "name": "j"}, "outputs": [{"namespace": "n"}]}"#, "outputs[0].name"),
        (#"{"eventTime": "2026-11-26T09:00:00Z", "producer": "p", "job": {"namespace": "n", "name": "j"}, "outputs": [{"namespace": "n", "name": "o", "facets": {"columnLineage": {"fields": {"c": {"inputFields": [{"namespace": "a"}]}}}}}]}"#, "inputFields[0]"),
    ])
    func rejectsInvalidEvents(json: String, field: String) {
        do {
            _ = try Self.parse(json)
            Issue.record("accepted \(json)")
        } catch let e as CatalogError {
            #expect(e.errorCode == .invalidParameterValue)
            #expect(e.message.contains(field), "\(e.message)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func ingestLinksInputsToOutputsThroughTheJob() async throws {
        let f = try LineageStoreTests.fixture()
        try await LineageStoreTests.register(f, "main.s.scores")
        let links = try await f.service.ingest(try Self.parse(Self.run))
        #expect(links.count == 2)  // users (an input, with lineage) and events (named only by column lineage)
        let users = links.first { $0.source.name == "postgres://db/public.users" }
        #expect(users?.target == .table("main.s.scores"))
        #expect(users?.via == LineageNode(.externalJob, "airflow/dag.task"))
        #expect(users?.columns == [ColumnMapping(target: "score", sources: ["visits"])])
        #expect(users?.recordedAt == 1_795_683_600_123)
        let attrs = try await f.service.store.attributes(["external_job:airflow/dag.task"])
        #expect(attrs["external_job:airflow/dag.task"]?["last_event_type"] == "COMPLETE")
    }
}
