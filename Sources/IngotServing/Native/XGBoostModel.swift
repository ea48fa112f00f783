#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An XGBoost gradient-boosted tree model read from `Booster.save_model` JSON or UBJSON (MLflow's
/// `model.xgb` / `model.ubj` / `model.json`), evaluated in float32 exactly as XGBoost's CPU predictor:
/// the intercept in margin space, then each tree's leaf added in file order, then the objective's
/// transform.
public struct XGBoostModel: SynchronousPredictor {
    /// The objective's prediction transform.
    public enum Transform: Sendable, Equatable {
        case identity
        /// binary:logistic, reg:logistic.
        case sigmoid
        /// multi:softprob: class probabilities.
        case softprob
        /// multi:softmax: the winning class index.
        case softmax
        /// count:poisson, reg:gamma, reg:tweedie, survival:cox.
        case exponential
        /// binary:hinge: 1 when the margin is positive, else 0.
        case hinge
    }

    /// What ``predict(_:)`` answers.
    public enum Output: Sendable, Equatable {
        /// `Booster.predict(DMatrix)`: probabilities, values, or margins, per the objective.
        case booster
        /// `XGBClassifier.predict`: class labels (argmax of the probabilities, or p > 0.5 when binary).
        case classLabels
        /// `XGBRegressor.predict` (and the other scikit-learn wrappers): the booster's values.
        case sklearnValues
    }

    struct Node: Sendable {
        var condition: Float
        var feature: Int32
        /// ≥ 0: a node index into ``nodes``; < 0: `~leaf` into ``leafValues``.
        var left: Int32
        var right: Int32
        var defaultLeft: Bool
        var categorical: Bool
        /// Categorical nodes: the bitset words in ``catWords`` of the categories that go right.
        var catStart: Int32
        var catCount: Int32
    }

    public let featureNames: [String]
    public let objectiveName: String
    public let transform: Transform
    /// Output groups: classes for multi-class models, targets for multi-target ones, else 1.
    public let groups: Int
    public let output: Output
    /// The intercept per group, in margin space.
    let baseMargin: [Float]
    let layout: FeatureLayout
    let nodes: [Node]
    let leafValues: [Float]
    let catWords: [UInt32]
    let roots: [Int32]
    let treeGroups: [Int32]
    /// DART tree weights (nil for gbtree).
    let treeWeights: [Float]?
    /// Trees used by the scikit-learn wrapper's `predict` (its `best_iteration` after early stopping).
    let sklearnTreeLimit: Int?

    public var inputNames: [String] { featureNames }
    public var kind: String { "xgboost-native" }
    public var treeCount: Int { roots.count }

    /// Parses `Booster.save_model` output; UBJSON is recognised by its leading `{` followed by a
    /// length marker, otherwise the bytes are read as JSON.
    public init(data: [UInt8], output: Output = .booster) throws {
        let doc: ModelDocument
        if data.count > 1, data[0] == UInt8(ascii: "{"), [UInt8(ascii: "L"), UInt8(ascii: "i"), UInt8(ascii: "U"), UInt8(ascii: "l"), UInt8(ascii: "I"), UInt8(ascii: "}"), UInt8(ascii: "#"), UInt8(ascii: "$")].contains(data[1]) {
            doc = try UBJSONDecoder.decode(data)
        } else {
            doc = try ModelJSONParser.parse(data, realsAsFloat32: true, format: "XGBoost JSON model")
        }
        self = try XGBoostParser.model(from: doc, output: output)
    }

    init(
        featureNames: [String], objectiveName: String, transform: Transform, groups: Int, output: Output, baseMargin: [Float],
        layout: FeatureLayout, nodes: [Node], leafValues: [Float], catWords: [UInt32], roots: [Int32], treeGroups: [Int32],
        treeWeights: [Float]?, sklearnTreeLimit: Int?
    ) {
        self.featureNames = featureNames
        self.objectiveName = objectiveName
        self.transform = transform
        self.groups = groups
        self.output = output
        self.baseMargin = baseMargin
        self.layout = layout
        self.nodes = nodes
        self.leafValues = leafValues
        self.catWords = catWords
        self.roots = roots
        self.treeGroups = treeGroups
        self.treeWeights = treeWeights
        self.sklearnTreeLimit = sklearnTreeLimit
    }

    /// The same model answering as another wrapper would.
    public func with(output: Output) -> XGBoostModel {
        XGBoostModel(
            featureNames: featureNames, objectiveName: objectiveName, transform: transform, groups: groups, output: output,
            baseMargin: baseMargin, layout: layout, nodes: nodes, leafValues: leafValues, catWords: catWords, roots: roots,
            treeGroups: treeGroups, treeWeights: treeWeights, sklearnTreeLimit: sklearnTreeLimit)
    }

    /// The same model reading its features under other names (a signature's names for a model trained
    /// without any).
    func withInputNames(_ names: [String]) -> XGBoostModel {
        guard names.count == featureNames.count else { return self }
        return XGBoostModel(
            featureNames: names, objectiveName: objectiveName, transform: transform, groups: groups, output: output,
            baseMargin: baseMargin, layout: FeatureLayout(names: names, generatedNames: false, categories: layout.categories),
            nodes: nodes, leafValues: leafValues, catWords: catWords, roots: roots, treeGroups: treeGroups,
            treeWeights: treeWeights, sklearnTreeLimit: sklearnTreeLimit)
    }

    public func predict(_ frame: ScoringFrame) async throws -> Predictions {
        try predictSync(frame)
    }

    /// The same as ``predict(_:)`` without the async hop.
    public func predictSync(_ frame: ScoringFrame) throws -> Predictions {
        let rows = frame.rowCount
        let x = try layout.matrix(from: frame).map { Float($0) }
        // The scikit-learn wrappers predict with the trees up to `best_iteration` after early stopping.
        let limit = output == .booster ? roots.count : (sklearnTreeLimit ?? roots.count)
        let margins = scores(matrix: x, rows: rows, treeLimit: limit)
        let k = groups
        switch output {
        case .booster, .sklearnValues:
            switch transform {
            case .softprob:
                var p = margins
                for r in 0..<rows { Self.softmax(&p, r * k, k) }
                return .matrix((0..<rows).map { r in (0..<k).map { Double(p[r * k + $0]) } })
            case .softmax:
                return .vector((0..<rows).map { Double(Self.argmax(margins, $0 * k, k)) })
            default:
                let v = margins.map { Double(Self.apply(transform, $0)) }
                if k == 1 { return .vector(v) }
                return .matrix((0..<rows).map { Array(v[$0 * k..<($0 + 1) * k]) })
            }
        case .classLabels:
            if k > 1 {
                return .labels((0..<rows).map { .int(Int64(Self.argmax(margins, $0 * k, k))) })
            }
            return .labels(margins.map { m in
                let v = Self.apply(transform, m)
                if transform == .identity || transform == .hinge || transform == .sigmoid { return .int(v > 0.5 ? 1 : 0) }
                return .int(Int64(v))
            })
        }
    }

    /// Margins (`rows × groups`, row-major) of a dense row-major float32 feature matrix.
    func scores(matrix: [Float], rows: Int, treeLimit: Int) -> [Float] {
        let k = groups
        let width = layout.count
        var out = [Float](repeating: 0, count: rows * k)
        for r in 0..<rows { for g in 0..<k { out[r * k + g] = baseMargin[g] } }
        let trees = min(treeLimit, roots.count)
        nodes.withUnsafeBufferPointer { nodes in
            leafValues.withUnsafeBufferPointer { leaves in
                catWords.withUnsafeBufferPointer { words in
                    matrix.withUnsafeBufferPointer { x in
                        out.withUnsafeMutableBufferPointer { out in
                            var blockStart = 0
                            while blockStart < rows {
                                let blockEnd = min(rows, blockStart + LightGBMModel.blockRows)
                                for t in 0..<trees {
                                    let root = roots[t]
                                    let g = Int(treeGroups[t])
                                    let weight = treeWeights?[t]
                                    for r in blockStart..<blockEnd {
                                        let leaf = Self.leaf(root: root, row: x.baseAddress! + r * width, nodes: nodes, words: words)
                                        if let w = weight {
                                            out[r * k + g] += leaves[leaf] * w
                                        } else {
                                            out[r * k + g] += leaves[leaf]
                                        }
                                    }
                                }
                                blockStart = blockEnd
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// XGBoost's largest valid category plus one (categories must be exactly representable as float).
    static let categoryLimit: Float = 16_777_216

    @inline(__always)
    static func leaf(root: Int32, row: UnsafePointer<Float>, nodes: UnsafeBufferPointer<Node>, words: UnsafeBufferPointer<UInt32>) -> Int {
        var n = root
        while n >= 0 {
            let node = nodes[Int(n)]
            let x = row[Int(node.feature)]
            if x.isNaN {
                n = node.defaultLeft ? node.left : node.right
            } else if node.categorical {
                // Invalid categories (negative, too large) and categories outside the node's set go left.
                guard x >= 0, x < categoryLimit else { n = node.left; continue }
                let c = Int(x)
                let word = c >> 5
                n = word < Int(node.catCount) && (words[Int(node.catStart) + word] >> UInt32(c & 31)) & 1 == 1 ? node.right : node.left
            } else {
                n = x < node.condition ? node.left : node.right
            }
        }
        return Int(~n)
    }

    static func apply(_ transform: Transform, _ x: Float) -> Float {
        switch transform {
        case .identity, .softprob, .softmax: return x
        case .sigmoid: return sigmoid(x)
        case .exponential: return expf(x)
        case .hinge: return x > 0 ? 1 : 0
        }
    }

    /// XGBoost's `common::Sigmoid` for float.
    static func sigmoid(_ x: Float) -> Float {
        let e = Swift.min(-x, 88.7 as Float)
        let denom = expf(e) + (1.0 as Float) + (1e-16 as Float)
        return (1.0 as Float) / denom
    }

    /// XGBoost's `common::Softmax`: float exponentials summed in double.
    static func softmax(_ v: inout [Float], _ start: Int, _ k: Int) {
        var wmax = v[start]
        for j in 1..<k { wmax = fmaxf(v[start + j], wmax) }
        var wsum = 0.0
        for j in 0..<k {
            v[start + j] = expf(v[start + j] - wmax)
            wsum += Double(v[start + j])
        }
        for j in 0..<k { v[start + j] /= Float(wsum) }
    }

    /// The first index of the largest value (`common::FindMaxIndex`).
    static func argmax(_ v: [Float], _ start: Int, _ k: Int) -> Int {
        var best = 0
        for j in 1..<k where v[start + j] > v[start + best] { best = j }
        return best
    }
}
