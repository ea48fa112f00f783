#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds an ``XGBoostModel`` from the document `Booster.save_model` writes (XGBoost 2.x/3.x schema:
/// `learner.learner_model_param`, `learner.objective`, `learner.gradient_booster` with `gbtree` or
/// `dart`, per-tree parallel arrays).
enum XGBoostParser {
    static let format = "XGBoost model"

    static func fail(_ detail: String) -> NativeModelError { .parse(format: format, detail: detail) }

    static func model(from doc: ModelDocument, output: XGBoostModel.Output) throws -> XGBoostModel {
        guard let learner = doc["learner"] else { throw fail("no 'learner' object") }
        guard let param = learner["learner_model_param"] else { throw fail("no learner_model_param") }
        let numFeature = Int(param["num_feature"]?.int64 ?? -1)
        guard numFeature >= 0 else { throw fail("no valid num_feature") }
        let numClass = Int(param["num_class"]?.int64 ?? 0)
        let numTarget = Int(param["num_target"]?.int64 ?? 1)
        let groups = max(numClass, numTarget, 1)

        let objectiveName = learner["objective"]?["name"]?.string ?? ""
        let (transform, margin) = try objective(objectiveName)
        var base = try baseScore(param["base_score"])
        if base.count == 1 && groups > 1 { base = Array(repeating: base[0], count: groups) }
        guard base.count == groups else { throw fail("base_score has \(base.count) values for \(groups) outputs") }
        let baseMargin = base.map(margin)

        // Boosters: gbtree directly; dart wraps a gbtree and adds one weight per tree.
        guard let booster = learner["gradient_booster"] else { throw fail("no gradient_booster") }
        let boosterName = booster["name"]?.string ?? ""
        let model: ModelDocument
        var weights: [Float]?
        switch boosterName {
        case "gbtree":
            guard let m = booster["model"] else { throw fail("gbtree without a model") }
            model = m
        case "dart":
            guard let m = booster["gbtree"]?["model"] else { throw fail("dart without a gbtree model") }
            model = m
            weights = booster["weight_drop"]?.floatArray
            guard weights != nil else { throw fail("dart without weight_drop") }
        case "gblinear":
            throw NativeModelError.unsupported("XGBoost gblinear models")
        default:
            throw NativeModelError.unsupported("XGBoost booster '\(boosterName)'")
        }

        // Features: names and the training categories of categorical ones (splits mark themselves categorical).
        var names = learner["feature_names"]?.elements?.compactMap(\.string) ?? []
        var generated = false
        if names.count != numFeature {
            names = (0..<numFeature).map { "f\($0)" }
            generated = true
        }
        var categories: [Int: CategoryCodes] = [:]
        if let enc = model["cats"]?["enc"]?.elements {
            for (f, column) in enc.enumerated() where f < numFeature {
                let values = try categoryValues(column)
                if !values.isEmpty { categories[f] = CategoryCodes(values) }
            }
        }

        // Trees.
        guard let trees = model["trees"]?.elements else { throw fail("no trees") }
        let info = model["tree_info"]?.intArray ?? []
        guard info.count == trees.count else { throw fail("tree_info has \(info.count) entries for \(trees.count) trees") }
        if let w = weights, w.count != trees.count { throw fail("weight_drop has \(w.count) entries for \(trees.count) trees") }
        var nodes: [XGBoostModel.Node] = []
        var leaves: [Float] = []
        var words: [UInt32] = []
        var roots: [Int32] = []
        for (t, tree) in trees.enumerated() {
            guard (0..<groups).contains(Int(info[t])) else { throw fail("tree \(t) belongs to output \(info[t]) of \(groups)") }
            roots.append(try append(tree: tree, index: t, numFeature: numFeature, nodes: &nodes, leaves: &leaves, words: &words))
        }

        var sklearnLimit: Int?
        if let attributes = learner["attributes"], let best = attributes["best_iteration"]?.int64 {
            let indptr = model["iteration_indptr"]?.intArray
            if let indptr, Int(best) + 1 < indptr.count {
                sklearnLimit = Int(indptr[Int(best) + 1])
            } else {
                let parallel = Int(model["gbtree_model_param"]?["num_parallel_tree"]?.int64 ?? 1)
                sklearnLimit = (Int(best) + 1) * groups * max(parallel, 1)
            }
        }

        let layout = FeatureLayout(names: names, generatedNames: generated, categories: categories)
        return XGBoostModel(
            featureNames: names, objectiveName: objectiveName, transform: transform, groups: groups, output: output,
            baseMargin: baseMargin, layout: layout, nodes: nodes, leafValues: leaves, catWords: words, roots: roots,
            treeGroups: info.map { Int32($0) }, treeWeights: weights, sklearnTreeLimit: sklearnLimit)
    }

    /// The prediction transform and the intercept's probability-to-margin function of an objective.
    static func objective(_ name: String) throws -> (XGBoostModel.Transform, (Float) -> Float) {
        let identity: (Float) -> Float = { $0 }
        let log: (Float) -> Float = { logf($0) }
        switch name {
        case "binary:logistic", "reg:logistic":
            return (.sigmoid, { v in
                let p = Swift.min(Swift.max(v, 1e-6 as Float), (1 as Float) - (1e-6 as Float))
                return -logf((1 as Float) / p - (1 as Float))
            })
        case "binary:logitraw": return (.identity, identity)
        case "binary:hinge": return (.hinge, identity)
        case "reg:squarederror", "reg:linear", "reg:squaredlogerror", "reg:pseudohubererror", "reg:absoluteerror",
            "reg:quantileerror", "rank:pairwise", "rank:ndcg", "rank:map":
            return (.identity, identity)
        case "count:poisson", "reg:gamma", "reg:tweedie", "survival:cox": return (.exponential, log)
        case "multi:softprob": return (.softprob, identity)
        case "multi:softmax": return (.softmax, identity)
        case "": throw fail("no objective name")
        default: throw NativeModelError.unsupported("XGBoost objective '\(name)'")
        }
    }

    /// `base_score` is a string: "5E-1", or a bracketed list "[3.9666668E-1]" / "[1E0,2E0]".
    static func baseScore(_ value: ModelDocument?) throws -> [Float] {
        guard let value else { return [0.5] }
        if let f = value.floatArray { return f }
        if case .string(let s) = value {
            let inner = s.trimmingCharacters(in: "[] ")
            let parts = inner.split(separator: ",").map { $0.trimmingCharacters(in: " ") }
            let floats = parts.compactMap { Float($0) }
            guard !floats.isEmpty, floats.count == parts.count else { throw fail("base_score '\(s)' is not a number list") }
            return floats
        }
        if let f = value.float32 { return [f] }
        throw fail("base_score is not a number")
    }

    /// The training categories of one feature from the model's category container: strings as UTF-8
    /// bytes split by offsets, or a typed list of numbers.
    static func categoryValues(_ column: ModelDocument) throws -> [ScoringValue] {
        if let offsets = column["offsets"]?.intArray {
            guard offsets.count > 1 else { return [] }
            let bytes = (column["values"]?.intArray ?? []).map { UInt8(truncatingIfNeeded: $0) }
            var out: [ScoringValue] = []
            for (a, b) in zip(offsets, offsets.dropFirst()) {
                guard a >= 0, a <= b, Int(b) <= bytes.count else { throw fail("category offsets out of range") }
                out.append(.string(String(decoding: bytes[Int(a)..<Int(b)], as: UTF8.self)))
            }
            return out
        }
        guard let values = column["values"]?.elements else { return [] }
        return values.map(\.scoringValue)
    }

    /// Appends one tree's reachable nodes and leaves; returns its root reference.
    static func append(tree: ModelDocument, index t: Int, numFeature: Int, nodes: inout [XGBoostModel.Node], leaves: inout [Float], words: inout [UInt32]) throws -> Int32 {
        func fail(_ what: String) -> NativeModelError { XGBoostParser.fail("tree \(t): \(what)") }
        if let size = tree["tree_param"]?["size_leaf_vector"]?.int64, size > 1 {
            throw NativeModelError.unsupported("XGBoost multi-output trees (multi_strategy=multi_output_tree)")
        }
        guard let left = tree["left_children"]?.intArray, let right = tree["right_children"]?.intArray,
            let feature = tree["split_indices"]?.intArray, let condition = tree["split_conditions"]?.floatArray
        else { throw fail("missing left_children/right_children/split_indices/split_conditions") }
        let n = left.count
        guard n > 0, right.count == n, feature.count == n, condition.count == n else { throw fail("node arrays differ in length") }
        let defaultLeft = tree["default_left"]?.intArray ?? Array(repeating: 0, count: n)
        let splitType = tree["split_type"]?.intArray ?? Array(repeating: 0, count: n)
        guard defaultLeft.count == n, splitType.count == n else { throw fail("default_left/split_type differ in length") }

        // Categories per categorical node.
        var nodeCategories: [Int: [Int64]] = [:]
        if let catNodes = tree["categories_nodes"]?.intArray, !catNodes.isEmpty {
            guard let all = tree["categories"]?.intArray, let segments = tree["categories_segments"]?.intArray,
                let sizes = tree["categories_sizes"]?.intArray, segments.count == catNodes.count, sizes.count == catNodes.count
            else { throw fail("inconsistent categories arrays") }
            for (k, node) in catNodes.enumerated() {
                let start = Int(segments[k]), size = Int(sizes[k])
                guard start >= 0, size >= 0, start + size <= all.count else { throw fail("categories segment out of range") }
                nodeCategories[Int(node)] = Array(all[start..<start + size])
            }
        }

        // Walk from the root so every reachable node is visited once (a malformed file cannot loop).
        var globalRef = [Int32?](repeating: nil, count: n)
        var stack: [Int] = [0]
        var order: [Int] = []
        while let id = stack.popLast() {
            guard globalRef[id] == nil else { throw fail("node \(id) is reached twice") }
            if left[id] == -1 {
                globalRef[id] = ~Int32(leaves.count)
                leaves.append(condition[id])
            } else {
                guard (0..<Int64(n)).contains(left[id]), (0..<Int64(n)).contains(right[id]) else { throw fail("node \(id) has children out of range") }
                guard (0..<Int64(numFeature)).contains(feature[id]) else { throw fail("node \(id) splits on feature \(feature[id]) of \(numFeature)") }
                globalRef[id] = Int32(nodes.count)
                nodes.append(.init(condition: condition[id], feature: Int32(feature[id]), left: 0, right: 0, defaultLeft: defaultLeft[id] != 0,
                                   categorical: splitType[id] == 1, catStart: 0, catCount: 0))
                order.append(id)
                stack.append(Int(right[id]))
                stack.append(Int(left[id]))
            }
        }
        for id in order {
            let g = Int(globalRef[id]!)
            nodes[g].left = globalRef[Int(left[id])]!
            nodes[g].right = globalRef[Int(right[id])]!
            if nodes[g].categorical {
                let cats = nodeCategories[id] ?? []
                guard cats.allSatisfy({ $0 >= 0 && $0 < 16_777_216 }) else { throw fail("node \(id) has an invalid category") }
                let count = cats.isEmpty ? 0 : Int(cats.max()! >> 5) + 1
                var bits = [UInt32](repeating: 0, count: count)
                for c in cats { bits[Int(c >> 5)] |= 1 << UInt32(c & 31) }
                nodes[g].catStart = Int32(words.count)
                nodes[g].catCount = Int32(count)
                words.append(contentsOf: bits)
            }
        }
        return globalRef[0]!
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
