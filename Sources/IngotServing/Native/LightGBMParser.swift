/// Reads LightGBM's text model format: a `key=value` header, `Tree=i` blocks, `end of trees`,
/// feature importances and parameters, then the Python package's `pandas_categorical:` JSON line.
enum LightGBMParser {
    static let format = "LightGBM model"

    static func parse(_ text: String) throws -> LightGBMModel {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        var header: [Substring: Substring] = [:]
        var i = 0
        guard lines.first.map({ $0 == "tree" }) == true else { throw fail("the first line is not 'tree'") }
        i = 1
        while i < lines.count, !lines[i].hasPrefix("Tree="), lines[i] != "end of trees" {
            let line = lines[i]
            if let eq = line.firstIndex(of: "=") {
                header[line[..<eq]] = line[line.index(after: eq)...]
            } else if !line.isEmpty {
                header[line] = ""
            }
            i += 1
        }

        let numClass = try int(header["num_class"], "num_class")
        let treesPerIteration = try int(header["num_tree_per_iteration"] ?? header["num_class"], "num_tree_per_iteration")
        let maxFeature = try int(header["max_feature_idx"], "max_feature_idx")
        guard treesPerIteration >= 1, maxFeature >= 0 else { throw fail("num_tree_per_iteration/max_feature_idx out of range") }
        let featureCount = maxFeature + 1
        var names = header["feature_names"].map { $0.split(separator: " ").map(String.init) } ?? []
        var generated = false
        if names.count != featureCount {
            names = (0..<featureCount).map { "Column_\($0)" }
            generated = true
        } else {
            generated = names.enumerated().allSatisfy { $0.element == "Column_\($0.offset)" }
        }
        let infos = header["feature_infos"].map { $0.split(separator: " ") } ?? []
        let objectiveText = header["objective"].map(String.init) ?? ""
        let objective = try parseObjective(objectiveText)
        let averageOutput = header["average_output"] != nil

        var nodes: [LightGBMModel.Node] = []
        var leafValues: [Double] = []
        var catWords: [UInt32] = []
        var catRanges: [LightGBMModel.CatRange] = []
        var roots: [Int32] = []
        var linear: [LightGBMModel.LinearLeaf?] = []
        var anyLinear = false

        while i < lines.count, lines[i] != "end of trees" {
            guard lines[i].hasPrefix("Tree=") else { i += 1; continue }
            let treeLine = i + 1
            i += 1
            var kv: [Substring: Substring] = [:]
            while i < lines.count, !lines[i].isEmpty {
                let line = lines[i]
                if let eq = line.firstIndex(of: "=") { kv[line[..<eq]] = line[line.index(after: eq)...] }
                i += 1
            }
            let tree = try Tree(kv, line: treeLine, featureCount: featureCount)
            let nodeBase = Int32(nodes.count)
            let leafBase = Int32(leafValues.count)
            let catBase = Int32(catWords.count)
            func ref(_ child: Int32) -> Int32 { child >= 0 ? nodeBase + child : ~(leafBase + ~child) }
            roots.append(tree.numLeaves > 1 ? nodeBase : ~leafBase)
            if tree.numLeaves > 1 {
                for n in 0..<(tree.numLeaves - 1) {
                    let dt = tree.decisionType[n]
                    let defaultLeft = dt & 2 != 0
                    let left = ref(tree.left[n]), right = ref(tree.right[n])
                    var node = LightGBMModel.Node(
                        threshold: tree.threshold[n], feature: tree.splitFeature[n], left: left, right: right,
                        nanChild: right, kind: .numeric)
                    if dt & 1 != 0 {
                        let t = Int(tree.threshold[n])
                        guard t >= 0, t + 1 < tree.catBoundaries.count else {
                            throw fail("tree at line \(treeLine): categorical threshold \(t) has no cat_boundaries entry")
                        }
                        node.kind = .categorical
                        node.threshold = Double(catRanges.count)
                        catRanges.append(.init(start: catBase + tree.catBoundaries[t], count: tree.catBoundaries[t + 1] - tree.catBoundaries[t]))
                    } else {
                        switch (dt >> 2) & 3 {
                        case 1:  // zero: NaN reads as 0, which is missing
                            node.kind = .numericMissingZero
                            node.nanChild = defaultLeft ? left : right
                        case 2:  // NaN
                            node.nanChild = defaultLeft ? left : right
                        default:  // none: NaN reads as 0
                            node.nanChild = 0 <= tree.threshold[n] ? left : right
                        }
                    }
                    nodes.append(node)
                }
            }
            leafValues.append(contentsOf: tree.leafValue)
            catWords.append(contentsOf: tree.catThreshold)
            if let leaves = tree.linear {
                anyLinear = true
                linear.append(contentsOf: leaves)
            } else {
                linear.append(contentsOf: [LightGBMModel.LinearLeaf?](repeating: nil, count: tree.numLeaves))
            }
        }
        guard !roots.isEmpty else { throw fail("no trees") }
        guard roots.count % treesPerIteration == 0 else {
            throw fail("\(roots.count) trees is not a multiple of num_tree_per_iteration=\(treesPerIteration)")
        }
        if case .softmax = objective, treesPerIteration != numClass {
            throw fail("multiclass with num_class=\(numClass) but num_tree_per_iteration=\(treesPerIteration)")
        }

        let categories = try pandasCategories(lines: lines, infos: infos, featureCount: featureCount)
        let layout = FeatureLayout(names: names, generatedNames: generated, categories: categories)
        return LightGBMModel(
            featureNames: names, numClass: numClass, treesPerIteration: treesPerIteration, objective: objective,
            objectiveText: objectiveText, averageOutput: averageOutput, layout: layout, nodes: nodes,
            leafValues: leafValues, catWords: catWords, catRanges: catRanges, roots: roots, linearLeaves: anyLinear ? linear : nil)
    }

    /// One `Tree=i` block, validated.
    private struct Tree {
        var numLeaves: Int
        var splitFeature: [Int32] = []
        var threshold: [Double] = []
        var decisionType: [Int] = []
        var left: [Int32] = []
        var right: [Int32] = []
        var leafValue: [Double]
        var catBoundaries: [Int32] = []
        var catThreshold: [UInt32] = []
        var linear: [LightGBMModel.LinearLeaf?]?

        init(_ kv: [Substring: Substring], line: Int, featureCount: Int) throws {
            func fail(_ what: String) -> NativeModelError { LightGBMParser.fail("tree at line \(line): \(what)") }
            func doubles(_ key: Substring, _ n: Int) throws -> [Double] {
                guard let text = kv[key] else { throw fail("no \(key)") }
                let parts = text.split(separator: " ")
                guard parts.count == n else { throw fail("\(key) has \(parts.count) values, expected \(n)") }
                return try parts.map { p in
                    guard let v = Double(p) else { throw fail("\(key): '\(p)' is not a number") }
                    return v
                }
            }
            func ints(_ key: Substring, _ n: Int) throws -> [Int] {
                guard let text = kv[key] else { throw fail("no \(key)") }
                let parts = text.split(separator: " ")
                guard parts.count == n else { throw fail("\(key) has \(parts.count) values, expected \(n)") }
                return try parts.map { p in
                    guard let v = Int(p) else { throw fail("\(key): '\(p)' is not an integer") }
                    return v
                }
            }
            guard let nl = kv["num_leaves"].flatMap({ Int($0) }), nl >= 1 else { throw fail("no valid num_leaves") }
            numLeaves = nl
            leafValue = try doubles("leaf_value", nl)
            let isLinear = kv["is_linear"].flatMap { Int($0) }.map { $0 != 0 } ?? false
            if nl > 1 {
                let inner = nl - 1
                splitFeature = try ints("split_feature", inner).map(Int32.init)
                threshold = try doubles("threshold", inner)
                decisionType = kv["decision_type"] != nil ? try ints("decision_type", inner) : Array(repeating: 0, count: inner)
                left = try ints("left_child", inner).map(Int32.init)
                right = try ints("right_child", inner).map(Int32.init)
                for n in 0..<inner {
                    guard (0..<featureCount).contains(Int(splitFeature[n])) else { throw fail("split_feature \(splitFeature[n]) out of range") }
                    for c in [left[n], right[n]] {
                        guard c >= 0 ? Int(c) < inner && Int(c) > n : Int(~c) < nl else { throw fail("child \(c) out of range") }
                    }
                }
                let numCat = kv["num_cat"].flatMap { Int($0) } ?? 0
                if numCat > 0 {
                    catBoundaries = try ints("cat_boundaries", numCat + 1).map(Int32.init)
                    let words = Int(catBoundaries.last!)
                    guard let text = kv["cat_threshold"] else { throw fail("no cat_threshold") }
                    catThreshold = try text.split(separator: " ").map { p in
                        guard let v = UInt32(p) else { throw fail("cat_threshold: '\(p)' is not a 32-bit word") }
                        return v
                    }
                    guard catThreshold.count == words, catBoundaries.first == 0,
                        zip(catBoundaries, catBoundaries.dropFirst()).allSatisfy({ $0 <= $1 })
                    else { throw fail("cat_boundaries do not match cat_threshold") }
                }
                if decisionType.enumerated().contains(where: { $0.element & 1 != 0 }) && numCat == 0 {
                    throw fail("categorical split without num_cat")
                }
            }
            if isLinear {
                let constant = kv["leaf_const"] != nil ? try doubles("leaf_const", nl) : Array(repeating: 0, count: nl)
                let counts = kv["num_features"] != nil ? try ints("num_features", nl) : Array(repeating: 0, count: nl)
                let total = counts.reduce(0, +)
                let features = total > 0 ? try ints("leaf_features", total) : []
                let coefficients = total > 0 ? try doubles("leaf_coeff", total) : []
                var offset = 0
                var leaves: [LightGBMModel.LinearLeaf?] = []
                for l in 0..<nl {
                    let f = features[offset..<offset + counts[l]].map(Int32.init)
                    guard f.allSatisfy({ (0..<Int32(featureCount)).contains($0) }) else { throw fail("leaf_features out of range") }
                    leaves.append(.init(constant: constant[l], features: f, coefficients: Array(coefficients[offset..<offset + counts[l]])))
                    offset += counts[l]
                }
                linear = leaves
            }
        }
    }

    static func parseObjective(_ text: String) throws -> LightGBMModel.Objective {
        let parts = text.split(separator: " ")
        guard let name = parts.first else { return .identity }
        var params: [Substring: Substring] = [:]
        for p in parts.dropFirst() {
            if let c = p.firstIndex(of: ":") { params[p[..<c]] = p[p.index(after: c)...] } else { params[p] = "" }
        }
        let sigmoid = params["sigmoid"].flatMap { Double($0) } ?? 1
        switch name {
        case "binary": return .binary(sigmoid: sigmoid)
        case "multiclass", "softmax": return .softmax
        case "multiclassova", "multiclass_ova", "ova", "ovr": return .oneVersusAll(sigmoid: sigmoid)
        case "regression", "regression_l2", "l2", "mean_squared_error", "mse", "l2_root", "root_mean_squared_error", "rmse",
            "regression_l1", "l1", "mean_absolute_error", "mae", "huber", "fair", "quantile", "mape",
            "mean_absolute_percentage_error":
            return params["sqrt"] != nil ? .squared : .identity
        case "poisson", "gamma", "tweedie": return .exponential
        case "cross_entropy", "xentropy": return .crossEntropy
        case "cross_entropy_lambda", "xentlambda": return .crossEntropyLambda
        case "lambdarank", "rank_xendcg", "xendcg", "xe_ndcg", "xe_ndcg_mart", "xendcg_mart", "custom", "none", "null":
            return .identity
        default: throw NativeModelError.unsupported("LightGBM objective '\(name)'")
        }
    }

    /// Category lists of the pandas categorical columns, keyed by feature index. The Python package writes
    /// one list per pandas `category` column, in column order; with `categorical_feature='auto'` those are
    /// exactly the model's categorical features.
    private static func pandasCategories(lines: [Substring], infos: [Substring], featureCount: Int) throws -> [Int: CategoryCodes] {
        guard let line = lines.last(where: { $0.hasPrefix("pandas_categorical:") }) else { return [:] }
        let json = line.dropFirst("pandas_categorical:".count)
        let doc = try ModelJSONParser.parse(Array(json.utf8), format: "LightGBM pandas_categorical")
        guard case .array(let lists) = doc, !lists.isEmpty else { return [:] }
        var categorical: [Int] = []
        if infos.count == featureCount {
            categorical = infos.enumerated().filter { !$0.element.hasPrefix("[") && $0.element != "none" }.map(\.offset)
        }
        if categorical.count != lists.count, let param = lines.first(where: { $0.hasPrefix("[categorical_feature: ") }) {
            let list = param.dropFirst("[categorical_feature: ".count).dropLast()
            let indices = list.split(separator: ",").compactMap { Int($0.trimmingPrefix(" ")) }
            if indices.count == lists.count, indices.allSatisfy({ (0..<featureCount).contains($0) }) { categorical = indices.sorted() }
        }
        guard categorical.count == lists.count else {
            throw NativeModelError.unsupported(
                "pandas_categorical lists \(lists.count) category columns but the model has \(categorical.count) categorical features (ordered pandas categoricals?)")
        }
        var out: [Int: CategoryCodes] = [:]
        for (feature, list) in zip(categorical, lists) {
            guard let values = list.elements else { throw fail("pandas_categorical entry is not a list") }
            out[feature] = CategoryCodes(values.map(\.scoringValue))
        }
        return out
    }

    private static func int(_ value: Substring?, _ key: String) throws -> Int {
        guard let v = value, let i = Int(v) else { throw fail("header has no valid \(key)") }
        return i
    }

    static func fail(_ detail: String) -> NativeModelError { .parse(format: format, detail: detail) }
}
