import Foundation
import Testing
@testable import IngotServing

@Suite struct XGBoostModelTests {
    static let fixtures = ["xgb_binary", "xgb_multi", "xgb_reg", "xgb_cat"]

    @Test(arguments: fixtures)
    func matchesXGBoostPredictionsInJSONAndUBJSON(fixture: String) async throws {
        let cases = try NativeFixtures.cases(fixture)
        #expect(cases.models.count == 2)
        for file in cases.models {
            let model = try XGBoostModel(data: NativeFixtures.bytes(file))
            let predictions = try await model.predict(cases.frame)
            let error = NativeFixtures.maxRelativeError(predictions, cases.expected)
            #expect(error <= 1e-6, "\(file): max relative error \(error)")
            for r in stride(from: 0, to: cases.frame.rowCount, by: 41) {
                let one = try model.predictSync(ScoringFrame(columns: cases.frame.columns, rows: [cases.frame.rows[r]]))
                #expect(NativeFixtures.maxRelativeError(one, [cases.expected[r]]) <= 1e-6, "\(file) row \(r)")
            }
        }
    }

    @Test(arguments: fixtures)
    func jsonAndUBJSONDecodeToTheSameModel(fixture: String) throws {
        let json = try XGBoostModel(data: NativeFixtures.bytes("\(fixture).json"))
        let ubj = try XGBoostModel(data: NativeFixtures.bytes("\(fixture).ubj"))
        #expect(json.leafValues == ubj.leafValues)
        #expect(json.nodes.map(\.condition) == ubj.nodes.map(\.condition))
        #expect(json.baseMargin == ubj.baseMargin)
        #expect(json.featureNames == ubj.featureNames)
    }

    @Test func classLabelsFollowTheScikitLearnWrapper() throws {
        let cases = try NativeFixtures.cases("xgb_multi")
        let model = try XGBoostModel(data: NativeFixtures.bytes("xgb_multi.ubj"), output: .classLabels)
        guard case .labels(let labels) = try model.predictSync(cases.frame) else { Issue.record("labels expected"); return }
        let argmax = cases.expected.map { p in Int64(p.indices.max { p[$0] < p[$1] }!) }
        #expect(labels == argmax.map { .int($0) })

        let binary = try NativeFixtures.cases("xgb_binary")
        let clf = try XGBoostModel(data: NativeFixtures.bytes("xgb_binary.json")).with(output: .classLabels)
        guard case .labels(let b) = try clf.predictSync(binary.frame) else { Issue.record("labels expected"); return }
        #expect(b == binary.expected.map { .int($0[0] > 0.5 ? 1 : 0) })
    }

    @Test func dartAppliesTreeWeights() throws {
        let cases = try NativeFixtures.cases("xgb_dart")
        let model = try XGBoostModel(data: NativeFixtures.bytes("xgb_dart.ubj"))
        #expect(model.treeWeights != nil)
        let error = NativeFixtures.maxRelativeError(try model.predictSync(cases.frame), cases.expected)
        #expect(error <= 1e-6, "dart: max relative error \(error)")
    }

    @Test func sigmoidAndSoftmaxFollowXGBoost() {
        #expect(XGBoostModel.sigmoid(0) == 0.5)
        #expect(XGBoostModel.sigmoid(-100) > 0)  // exp is clamped at 88.7
        var v: [Float] = [1, 2, 3]
        XGBoostModel.softmax(&v, 0, 3)
        #expect(abs(v.reduce(0, +) - 1) < 1e-6)
        #expect(XGBoostModel.argmax([1, 3, 3], 0, 3) == 1)
    }

    @Test func handWrittenCategoricalTree() throws {
        // Root: categorical on f0 with categories {1, 40} going right; default left.
        let json = """
            {"learner":{"feature_names":["a","b"],"feature_types":["c","float"],
             "gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"1"},
              "tree_info":[0],"trees":[{"left_children":[1,-1,-1],"right_children":[2,-1,-1],
              "split_indices":[0,0,0],"split_conditions":[0,-1.5,2.5],"default_left":[1,0,0],"split_type":[1,0,0],
              "categories":[1,40],"categories_nodes":[0],"categories_segments":[0],"categories_sizes":[2],
              "tree_param":{"num_nodes":"3","size_leaf_vector":"1"}}]},"name":"gbtree"},
             "learner_model_param":{"base_score":"[0E0]","num_class":"0","num_feature":"2","num_target":"1"},
             "objective":{"name":"reg:squarederror"}},"version":[3,2,0]}
            """
        let model = try XGBoostModel(data: Array(json.utf8))
        func score(_ a: ScoringValue) throws -> Double {
            guard case .vector(let v) = try model.predictSync(ScoringFrame(columns: ["a", "b"], rows: [[a, .double(0)]])) else { return .nan }
            return v[0]
        }
        #expect(try score(.int(1)) == 2.5)
        #expect(try score(.double(1.9)) == 2.5)  // truncated to category 1
        #expect(try score(.int(40)) == 2.5)
        #expect(try score(.int(2)) == -1.5)
        #expect(try score(.int(1000)) == -1.5)  // beyond the node's bitset
        #expect(try score(.int(-3)) == -1.5)  // invalid categories go left
        #expect(try score(.null) == -1.5)  // missing goes the default (left) way
    }

    @Test func malformedAndUnsupportedModels() {
        #expect(throws: NativeModelError.self) { try XGBoostModel(data: Array("{}".utf8)) }
        #expect(throws: NativeModelError.self) { try XGBoostModel(data: [0x7B, 0x4C, 0x00]) }
        let linear = #"{"learner":{"gradient_booster":{"name":"gblinear"},"learner_model_param":{"base_score":"5E-1","num_feature":"2"},"objective":{"name":"reg:squarederror"}}}"#
        #expect(throws: NativeModelError.unsupported("XGBoost gblinear models")) { try XGBoostModel(data: Array(linear.utf8)) }
    }
}
