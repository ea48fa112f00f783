import Foundation
import Testing
@testable import IngotServing

@Suite struct NativeModelLoaderTests {
    /// An MLmodel as mlflow 3.17 writes it for `mlflow.<flavor>.save_model`.
    static func mlmodel(flavor: String, data: String, modelClass: String, extra: String = "") -> String {
        """
        flavors:
          \(flavor):
            code: null
            data: \(data)
            model_class: \(modelClass)
            serialization_format: skops
            skops_trusted_types:
            - lightgbm.basic.Booster
            - collections.OrderedDict
        \(extra)
          python_function:
            data: \(data)
            env:
              conda: conda.yaml
              virtualenv: python_env.yaml
            loader_module: mlflow.\(flavor)
            python_version: 3.11.7
        is_signature_from_type_hint: false
        mlflow_version: 3.17.2
        model_size_bytes: 5993
        signature:
          inputs: '[{"type": "double", "name": "f0", "required": true}, {"type": "double",
            "name": "f1", "required": true}]'
          outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
          params: null
        utc_time_created: '2026-11-26 02:54:37.600285'
        """
    }

    /// A temporary model directory holding `MLmodel` and copies of fixture files.
    static func directory(mlmodel: String, files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("native-loader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try mlmodel.write(to: dir.appendingPathComponent("MLmodel"), atomically: true, encoding: .utf8)
        for (name, fixture) in files {
            try FileManager.default.copyItem(at: NativeFixtures.url(fixture), to: dir.appendingPathComponent(name))
        }
        return dir
    }

    @Test func lightGBMBooster() async throws {
        let dir = try Self.directory(
            mlmodel: Self.mlmodel(flavor: "lightgbm", data: "model.lgb", modelClass: "lightgbm.basic.Booster"),
            files: ["model.lgb": "lgb_binary.txt"])
        defer { try? FileManager.default.removeItem(at: dir) }
        guard case .loaded(let predictor) = NativeModelLoader.load(directory: dir) else { Issue.record("not loaded"); return }
        #expect(predictor.kind == "lightgbm-native")
        let cases = try NativeFixtures.cases("lgb_binary")
        #expect(NativeFixtures.maxRelativeError(try await predictor.predict(cases.frame), cases.expected) <= 1e-9)
    }

    @Test func lightGBMScikitLearnFallsBack() throws {
        let dir = try Self.directory(
            mlmodel: Self.mlmodel(flavor: "lightgbm", data: "model.skops", modelClass: "lightgbm.sklearn.LGBMClassifier"), files: [:])
        defer { try? FileManager.default.removeItem(at: dir) }
        guard case .unsupported(let reason) = NativeModelLoader.load(directory: dir) else { Issue.record("must fall back"); return }
        #expect(reason.hasPrefix("not natively supported: ") && reason.contains("LGBMClassifier"))
    }

    @Test(arguments: [("model.ubj", "xgb_multi.ubj"), ("model.xgb", "xgb_multi.ubj"), ("model.json", "xgb_multi.json")])
    func xgboostBooster(file: String, fixture: String) async throws {
        let dir = try Self.directory(
            mlmodel: Self.mlmodel(flavor: "xgboost", data: file, modelClass: "xgboost.core.Booster"), files: [file: fixture])
        defer { try? FileManager.default.removeItem(at: dir) }
        guard case .loaded(let predictor) = NativeModelLoader.load(directory: dir) else { Issue.record("not loaded"); return }
        #expect(predictor.kind == "xgboost-native")
        let cases = try NativeFixtures.cases("xgb_multi")
        #expect(NativeFixtures.maxRelativeError(try await predictor.predict(cases.frame), cases.expected) <= 1e-6)
    }

    @Test func xgboostClassifierAnswersLabelsAndRegressorValues() async throws {
        let clfDir = try Self.directory(
            mlmodel: Self.mlmodel(flavor: "xgboost", data: "model.ubj", modelClass: "xgboost.sklearn.XGBClassifier"),
            files: ["model.ubj": "xgb_binary.ubj"])
        defer { try? FileManager.default.removeItem(at: clfDir) }
        guard case .loaded(let clf) = NativeModelLoader.load(directory: clfDir) else { Issue.record("not loaded"); return }
        let binary = try NativeFixtures.cases("xgb_binary")
        #expect(try await clf.predict(binary.frame) == .labels(binary.expected.map { .int($0[0] > 0.5 ? 1 : 0) }))

        let regDir = try Self.directory(
            mlmodel: Self.mlmodel(flavor: "xgboost", data: "model.json", modelClass: "xgboost.sklearn.XGBRegressor"),
            files: ["model.json": "xgb_reg.json"])
        defer { try? FileManager.default.removeItem(at: regDir) }
        guard case .loaded(let reg) = NativeModelLoader.load(directory: regDir) else { Issue.record("not loaded"); return }
        let cases = try NativeFixtures.cases("xgb_reg")
        #expect(NativeFixtures.maxRelativeError(try await reg.predict(cases.frame), cases.expected) <= 1e-6)
    }

    @Test func otherModelsFallBackWithAReason() throws {
        let sklearn = try Self.directory(
            mlmodel: "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    pickled_model: model.pkl\n", files: [:])
        defer { try? FileManager.default.removeItem(at: sklearn) }
        guard case .unsupported(let reason) = NativeModelLoader.load(directory: sklearn) else { Issue.record("must fall back"); return }
        #expect(reason == "not natively supported: flavor sklearn has no native evaluator")

        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("native-loader-none-\(UUID().uuidString)")
        guard case .unsupported = NativeModelLoader.load(directory: empty) else { Issue.record("must fall back"); return }

        let legacy = try Self.directory(
            mlmodel: Self.mlmodel(flavor: "xgboost", data: "model.xgb", modelClass: "xgboost.core.Booster"), files: [:])
        defer { try? FileManager.default.removeItem(at: legacy) }
        try Data([0x62, 0x69, 0x6E, 0x66, 0, 0, 0, 0]).write(to: legacy.appendingPathComponent("model.xgb"))
        guard case .unsupported(let why) = NativeModelLoader.load(directory: legacy) else { Issue.record("must fall back"); return }
        #expect(why.contains("legacy binary"))

        let broken = try Self.directory(
            mlmodel: Self.mlmodel(flavor: "lightgbm", data: "model.lgb", modelClass: "lightgbm.basic.Booster"), files: [:])
        defer { try? FileManager.default.removeItem(at: broken) }
        try "tree\nnum_class=1\n".write(to: broken.appendingPathComponent("model.lgb"), atomically: true, encoding: .utf8)
        guard case .unsupported(let parse) = NativeModelLoader.load(directory: broken) else { Issue.record("must fall back"); return }
        #expect(parse.contains("malformed"))
    }

    @Test func mlmodelKeysReadNestedAndFoldedScalars() {
        let keys = MLmodelKeys(yaml: Self.mlmodel(flavor: "xgboost", data: "model.xgb", modelClass: "xgboost.core.Booster"))
        #expect(keys["flavors.xgboost.data"] == "model.xgb")
        #expect(keys["flavors.python_function.env.conda"] == "conda.yaml")
        #expect(keys["utc_time_created"] == "2026-11-26 02:54:37.600285")
        #expect(keys.children["flavors"] == ["xgboost", "python_function"])
        #expect(NativeModelLoader.signatureInputNames(keys["signature.inputs"]) == ["f0", "f1"])
        let quoted = MLmodelKeys(yaml: "a:\n  'b c': 'it''s'\n  d: \"x\\\"y\"  \n  e: plain # comment\n")
        #expect(quoted["a.b c"] == "it's")
        #expect(quoted["a.d"] == "x\"y")
        #expect(quoted["a.e"] == "plain")
    }

    @Test func signatureNamesReplaceGeneratedFeatureNames() throws {
        // A LightGBM model trained on a numpy array has Column_0…; the signature names its inputs.
        let text = """
            tree
            version=v4
            num_class=1
            num_tree_per_iteration=1
            max_feature_idx=1
            objective=regression
            feature_names=Column_0 Column_1

            Tree=0
            num_leaves=2
            num_cat=0
            split_feature=1
            threshold=0
            decision_type=2
            left_child=-1
            right_child=-2
            leaf_value=1 2
            shrinkage=1

            end of trees
            """
        let dir = try Self.directory(
            mlmodel: Self.mlmodel(flavor: "lightgbm", data: "model.lgb", modelClass: "lightgbm.basic.Booster"), files: [:])
        defer { try? FileManager.default.removeItem(at: dir) }
        try text.write(to: dir.appendingPathComponent("model.lgb"), atomically: true, encoding: .utf8)
        let model = try NativeModelLoader.predictor(directory: dir)
        #expect(model.inputNames == ["f0", "f1"])
        #expect(try (model as! LightGBMModel).predictSync(ScoringFrame(columns: ["f1", "f0"], rows: [[.double(1), .double(-5)]])) == .vector([2]))
    }
}
