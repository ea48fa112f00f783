import Foundation

/// Loads an MLmodel directory into an in-process tree evaluator when its flavor allows:
/// `lightgbm` with a native Booster (`model.lgb`), `xgboost` with a JSON or UBJSON model
/// (`model.xgb`, `model.ubj`, `model.json`) saved from a Booster or a scikit-learn wrapper.
/// Everything else is reported as unsupported with a reason, so the caller can serve the model through
/// Python and log why.
public enum NativeModelLoader {
    /// What loading found.
    public enum Outcome: Sendable {
        case loaded(any ModelPredictor)
        /// The reason reads "not natively supported: …".
        case unsupported(reason: String)
    }

    /// Inspects `directory/MLmodel` and builds a native predictor, or says why not. Never throws: a
    /// model that fails to parse is also a reason to fall back.
    /// - Parameter directory: a downloaded MLflow model directory (the one holding `MLmodel`).
    public static func load(directory: URL) -> Outcome {
        do {
            return .loaded(try predictor(directory: directory))
        } catch let error as NativeModelError {
            if case .unsupported = error { return .unsupported(reason: error.description) }
            return .unsupported(reason: NativeModelError.unsupported(error.description).description)
        } catch {
            return .unsupported(reason: NativeModelError.unsupported("\(error)").description)
        }
    }

    /// The throwing form of ``load(directory:)``: `NativeModelError.unsupported` for models without a
    /// native evaluator, `.parse` for model files that do not parse.
    public static func predictor(directory: URL) throws -> any ModelPredictor {
        let mlmodelURL = directory.appendingPathComponent("MLmodel")
        guard let yaml = try? String(contentsOf: mlmodelURL, encoding: .utf8) else {
            throw NativeModelError.unsupported("no readable MLmodel file in \(directory.path)")
        }
        let keys = MLmodelKeys(yaml: yaml)
        let flavors = keys.children["flavors"] ?? []
        let signatureNames = signatureInputNames(keys["signature.inputs"])
        if flavors.contains("lightgbm") {
            return try lightGBM(directory: directory, keys: keys, signatureNames: signatureNames)
        }
        if flavors.contains("xgboost") {
            return try xgboost(directory: directory, keys: keys, signatureNames: signatureNames)
        }
        let names = flavors.filter { $0 != "python_function" }
        throw NativeModelError.unsupported(names.isEmpty ? "no model flavor besides python_function" : "flavor \(names.joined(separator: ", ")) has no native evaluator")
    }

    static func lightGBM(directory: URL, keys: MLmodelKeys, signatureNames: [String]?) throws -> LightGBMModel {
        if let modelClass = keys["flavors.lightgbm.model_class"], modelClass != "lightgbm.basic.Booster" {
            throw NativeModelError.unsupported("lightgbm model_class \(modelClass) is a serialized scikit-learn estimator, not a Booster text model")
        }
        let data = keys["flavors.lightgbm.data"] ?? "model.lgb"
        let url = try file(directory, data)
        guard let bytes = try? Data(contentsOf: url) else { throw NativeModelError.unsupported("cannot read \(data)") }
        guard bytes.starts(with: Array("tree".utf8)), let text = String(data: bytes, encoding: .utf8) else {
            throw NativeModelError.unsupported("\(data) is not a LightGBM text model")
        }
        var model = try LightGBMModel(text: text)
        if let names = signatureNames, model.layout.generatedNames, names.count == model.featureNames.count {
            model = model.withInputNames(names)
        }
        return model
    }

    static func xgboost(directory: URL, keys: MLmodelKeys, signatureNames: [String]?) throws -> XGBoostModel {
        let output: XGBoostModel.Output
        switch keys["flavors.xgboost.model_class"] ?? "xgboost.core.Booster" {
        case "xgboost.core.Booster": output = .booster
        case "xgboost.sklearn.XGBClassifier", "xgboost.sklearn.XGBRFClassifier": output = .classLabels
        case "xgboost.sklearn.XGBRegressor", "xgboost.sklearn.XGBRFRegressor", "xgboost.sklearn.XGBRanker": output = .sklearnValues
        case let other: throw NativeModelError.unsupported("xgboost model_class \(other)")
        }
        var data = keys["flavors.xgboost.data"]
        if data == nil {
            data = ["model.xgb", "model.ubj", "model.json"].first {
                FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
            }
        }
        guard let data else { throw NativeModelError.unsupported("the xgboost flavor names no model file") }
        let url = try file(directory, data)
        guard let bytes = try? Data(contentsOf: url) else { throw NativeModelError.unsupported("cannot read \(data)") }
        guard bytes.first == UInt8(ascii: "{") else {
            throw NativeModelError.unsupported("\(data) is in XGBoost's legacy binary format (only JSON and UBJSON are read natively)")
        }
        var model = try XGBoostModel(data: [UInt8](bytes), output: output)
        if let names = signatureNames, model.layout.generatedNames, names.count == model.featureNames.count {
            model = model.withInputNames(names)
        }
        return model
    }

    /// A file inside the model directory; names that climb out of it are refused.
    private static func file(_ directory: URL, _ name: String) throws -> URL {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
            throw NativeModelError.unsupported("model data path '\(name)' is outside the model directory")
        }
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { throw NativeModelError.unsupported("model file \(name) is missing") }
        return url
    }

    /// Column names of a column-based signature (`[{"type": "double", "name": "f0"}, …]`).
    static func signatureInputNames(_ json: String?) -> [String]? {
        guard let json, let doc = try? ModelJSONParser.parse(Array(json.utf8)), let columns = doc.elements else { return nil }
        let names = columns.compactMap { $0["name"]?.string }
        return names.count == columns.count && !names.isEmpty ? names : nil
    }
}
