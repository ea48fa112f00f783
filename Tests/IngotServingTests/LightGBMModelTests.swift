import Foundation
import Testing
@testable import IngotServing

@Suite struct LightGBMModelTests {
    @Test(arguments: ["lgb_binary", "lgb_multiclass", "lgb_regression", "lgb_zero_poisson", "lgb_linear_ova"])
    func matchesLightGBMPredictions(fixture: String) async throws {
        let cases = try NativeFixtures.cases(fixture)
        let model = try LightGBMModel(text: NativeFixtures.text(cases.models[0]))
        let predictions = try await model.predict(cases.frame)
        let error = NativeFixtures.maxRelativeError(predictions, cases.expected)
        #expect(error <= 1e-9, "\(fixture): max relative error \(error)")
        // Row by row gives the same answers as the batch.
        for r in stride(from: 0, to: cases.frame.rowCount, by: 37) {
            let one = try model.predictSync(ScoringFrame(columns: cases.frame.columns, rows: [cases.frame.rows[r]]))
            #expect(NativeFixtures.maxRelativeError(one, [cases.expected[r]]) <= 1e-9, "\(fixture) row \(r)")
        }
    }

    @Test func headerAndShapes() throws {
        let binary = try LightGBMModel(text: NativeFixtures.text("lgb_binary.txt"))
        #expect(binary.inputNames == ["f0", "f1", "f2", "f3", "color"])
        #expect(binary.objective == .binary(sigmoid: 1))
        #expect(binary.kind == "lightgbm-native")
        let multi = try LightGBMModel(text: NativeFixtures.text("lgb_multiclass.txt"))
        #expect(multi.objective == .softmax && multi.treesPerIteration == 3)
        guard case .matrix(let m) = try multi.predictSync(ScoringFrame(columns: [], rows: [[.double(0.1), .null, .int(2), .double(-1)]])) else {
            Issue.record("multiclass must answer a matrix"); return
        }
        #expect(m.count == 1 && m[0].count == 3 && abs(m[0].reduce(0, +) - 1) < 1e-12)
    }

    @Test func inputErrorsNameTheColumn() throws {
        let model = try LightGBMModel(text: NativeFixtures.text("lgb_binary.txt"))
        #expect(throws: NativeModelError.missingColumn("color")) {
            try model.predictSync(ScoringFrame(columns: ["f0", "f1", "f2", "f3"], rows: [[.double(1), .double(1), .double(1), .double(1)]]))
        }
        #expect(throws: NativeModelError.nonNumericValue(column: "f1", row: 0, value: "\"abc\"")) {
            try model.predictSync(ScoringFrame(columns: ["f0", "f1", "f2", "f3", "color"], rows: [[.double(1), .string("abc"), .null, .null, .string("red")]]))
        }
        #expect(throws: NativeModelError.wrongColumnCount(row: 0, expected: 5, got: 2)) {
            try model.predictSync(ScoringFrame(columns: [], rows: [[.double(1), .double(2)]]))
        }
        // Extra columns and a different column order are fine; numeric strings are numbers.
        let a = try model.predictSync(ScoringFrame(columns: ["f0", "f1", "f2", "f3", "color"], rows: [[.double(0.5), .double(-1), .null, .int(2), .string("red")]]))
        let b = try model.predictSync(ScoringFrame(columns: ["extra", "color", "f3", "f2", "f1", "f0"], rows: [[.string("x"), .string("red"), .string("2"), .null, .double(-1), .double(0.5)]]))
        #expect(a == b)
        #expect(NativeModelError.missingColumn("color").isInputError)
    }

    @Test func malformedModelsAreParseErrors() {
        #expect(throws: NativeModelError.self) { try LightGBMModel(text: "") }
        #expect(throws: NativeModelError.self) {
            try LightGBMModel(text: "tree\nnum_class=1\nnum_tree_per_iteration=1\nmax_feature_idx=0\nobjective=binary sigmoid:1\n\nTree=0\nnum_leaves=3\nnum_cat=0\nsplit_feature=0 0\nthreshold=1 2\nleaf_value=1 2 3\nleft_child=1 -1\nright_child=5 -2\n\nend of trees\n")
        }
    }

    @Test func handWrittenTreeFollowsLightGBMRules() throws {
        // Node 0: numeric on f0, missing type NaN, default left (decision_type 2|8 = 10).
        // Node 1: categorical on f1, categories {1, 3, 33} go left.
        let text = """
            tree
            version=v4
            num_class=1
            num_tree_per_iteration=1
            max_feature_idx=1
            objective=regression

            Tree=0
            num_leaves=3
            num_cat=1
            split_feature=0 1
            threshold=0.5 0
            decision_type=10 1
            left_child=-1 -2
            right_child=1 -3
            leaf_value=10 20 30
            cat_boundaries=0 2
            cat_threshold=10 2
            is_linear=0
            shrinkage=1

            end of trees
            """
        let model = try LightGBMModel(text: text)
        func score(_ a: ScoringValue, _ b: ScoringValue) throws -> Double {
            guard case .vector(let v) = try model.predictSync(ScoringFrame(columns: [], rows: [[a, b]])) else { return .nan }
            return v[0]
        }
        #expect(try score(.null, .int(1)) == 10)  // NaN goes the default (left) way
        #expect(try score(.double(0.5), .int(1)) == 10)  // <= threshold
        #expect(try score(.double(0.6), .int(1)) == 20)
        #expect(try score(.double(0.6), .int(3)) == 20)
        #expect(try score(.double(0.6), .double(3.7)) == 20)  // truncated to 3
        #expect(try score(.double(0.6), .int(2)) == 30)
        #expect(try score(.double(0.6), .int(33)) == 20)
        #expect(try score(.double(0.6), .int(64)) == 30)  // beyond the bitset
        #expect(try score(.double(0.6), .int(-1)) == 30)
        #expect(try score(.double(0.6), .double(-0.5)) == 30)  // int(-0.5) = 0, not in the set
        #expect(try score(.double(0.6), .null) == 30)
        #expect(try score(.double(0.6), .double(1e10)) == 30)
    }
}
