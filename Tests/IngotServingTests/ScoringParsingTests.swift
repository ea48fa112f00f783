import Foundation
import Testing

@testable import IngotServing

/// MLflow scoring bodies → frames, and checks against a model signature.
@Suite struct ScoringParsingTests {
    static func parse(_ json: String) throws -> ScoringRequest {
        try ScoringRequest.parse(body: Array(json.utf8), contentType: "application/json")
    }

    static let signature = ModelSignature(columns: [
        .init(name: "x", type: "double"), .init(name: "n", type: "long"), .init(name: "s", type: "string"),
        .init(name: "opt", type: "double", required: false),
    ])

    @Test func everyFormatGivesTheSameFrame() throws {
        let expected = ScoringFrame(columns: ["x", "n", "s"], rows: [[.double(1.5), .int(2), .string("a")], [.null, .int(3), .string("b")]])
        let bodies = [
            #"{"dataframe_split": {"columns": ["x", "n", "s"], "data": [[1.5, 2, "a"], [null, 3, "b"]], "index": [0, 1]}}"#,
            #"{"dataframe_records": [{"x": 1.5, "n": 2, "s": "a"}, {"x": null, "n": 3, "s": "b"}]}"#,
            #"{"instances": [{"x": 1.5, "n": 2, "s": "a"}, {"x": null, "n": 3, "s": "b"}]}"#,
            #"{"inputs": {"x": [1.5, null], "n": [2, 3], "s": ["a", "b"]}}"#,
        ]
        for body in bodies {
            #expect(try Self.parse(body).frame == expected, "\(body)")
        }
        let csv = try ScoringRequest.parse(body: Array("x,n,s\n1.5,2,a\n,3,\"b\"\n".utf8), contentType: "text/csv; charset=utf-8")
        #expect(csv.frame == expected && csv.format == .csv)
        let positional = try Self.parse(#"{"inputs": [[1.5, 2, "a"], [null, 3, "b"]], "params": {"k": 1}}"#)
        #expect(positional.frame.columns.isEmpty && positional.params?["k"] == .int(1))
        let scalars = try Self.parse(#"{"instances": [1, 2, 3]}"#)
        #expect(scalars.frame.rows == [[.int(1)], [.int(2)], [.int(3)]])
    }

    @Test(arguments: [
        "{not json", #"{"dataframe_split": {"columns": ["x"], "data": [[1]]}, "instances": [1]}"#, #"{"params": {}}"#, "[1, 2]",
        #"{"dataframe_split": {"columns": ["x", "y"], "data": [[1]]}}"#, #"{"dataframe_records": [{"x": [1, 2]}]}"#,
        #"{"instances": [[1, 2], [3]]}"#, #"{"dataframe_split": {"columns": ["x"], "data": [[1]]}, "bogus": 1}"#, "",
    ])
    func malformedBodiesAreBadRequests(body: String) {
        #expect(throws: ServingError.self) { _ = try Self.parse(body) }
        do { _ = try Self.parse(body) } catch let e as ServingError { #expect(e.errorCode == .badRequest, "\(body): \(e)") } catch {}
    }

    @Test func deepNestingDoesNotCrash() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: ServingError.self) { _ = try ServingJSON.parse(Array(deep.utf8)) }
    }

    @Test func signatureChecksTypesAndNames() throws {
        let ok = try Self.signature.conform(ScoringFrame(columns: ["s", "n", "x", "extra"], rows: [[.string("a"), .int(1), .int(2), .bool(true)]]))
        #expect(ok.columns == ["x", "n", "s", "opt"] && ok.rows == [[.double(2), .int(1), .string("a"), .null]])
        // null in a double column is a missing value, not an error.
        #expect(try Self.signature.conform(ScoringFrame(columns: ["x", "n", "s"], rows: [[.null, .int(1), .string("a")]])).rows[0][0] == .null)
        func message(_ frame: ScoringFrame) -> String {
            do {
                _ = try Self.signature.conform(frame)
                return ""
            } catch let e as ServingError { return e.message } catch { return "\(error)" }
        }
        #expect(message(ScoringFrame(columns: ["x", "s"], rows: [[.double(1), .string("a")]])).contains("missing inputs ['n']"))
        #expect(message(ScoringFrame(columns: ["x", "n", "s"], rows: [[.string("oops"), .int(1), .string("a")]])).contains("column x"))
        #expect(message(ScoringFrame(columns: ["x", "n", "s"], rows: [[.double(1), .double(1.5), .string("a")]])).contains("column n"))
        #expect(message(ScoringFrame(columns: [], rows: [[.double(1)]])).contains("expects 4 input columns"))
    }

    @Test func mlmodelSignatureIsRead() throws {
        let text = """
            artifact_path: model
            flavors:
              python_function:
                env:
                  conda: conda.yaml
                loader_module: mlflow.sklearn
              sklearn:
                pickled_model: model.pkl
            mlflow_version: 3.1.0
            signature:
              inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type":
                "long", "name": "it''s", "required": false}]'
              outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
              params: null
            """
        let m = try MLmodelFile(text: text)
        #expect(m.flavors == ["python_function", "sklearn"])
        #expect(m.signature?.columns == [.init(name: "sepal length (cm)", type: "double"), .init(name: "it's", type: "long", required: false)])
    }

    @Test func predictionsSerializeLikeMLflow() {
        #expect(ServingJSON.object([("predictions", Predictions.vector([1, 0.5]).jsonValue)]).serialized == #"{"predictions":[1.0,0.5]}"#)
        #expect(Predictions.matrix([[0.25, 0.75]]).jsonValue.serialized == "[[0.25,0.75]]")
        #expect(Predictions.labels([.string("a"), .int(2)]).jsonValue.serialized == #"["a",2]"#)
    }
}
