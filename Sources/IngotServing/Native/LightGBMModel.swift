#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A LightGBM booster read from its text model (`Booster.save_model`, MLflow's `model.lgb`), evaluated
/// in-process with LightGBM's own rules, in double precision, tree by tree in file order, so results
/// equal `Booster.predict` on a pandas DataFrame.
public struct LightGBMModel: SynchronousPredictor {
    /// How raw scores become predictions (LightGBM's `ConvertOutput`).
    public enum Objective: Sendable, Equatable {
        /// No conversion: custom objectives, ranking, and regression losses without a link.
        case identity
        /// `regression sqrt`: the model was trained on sqrt(label); the output is sign(x)·x².
        case squared
        /// `binary`: 1 / (1 + exp(-sigmoid·x)).
        case binary(sigmoid: Double)
        /// `multiclass`: softmax over the classes.
        case softmax
        /// `multiclassova`: an independent sigmoid per class.
        case oneVersusAll(sigmoid: Double)
        /// `poisson`, `gamma`, `tweedie`: exp(x).
        case exponential
        /// `cross_entropy`: 1 / (1 + exp(-x)).
        case crossEntropy
        /// `cross_entropy_lambda`: log(1 + exp(x)).
        case crossEntropyLambda
    }

    /// One internal node. Children ≥ 0 are node indices into ``nodes``; negative children are
    /// `~leaf` with leaf indices into ``leafValues`` (both global over all trees).
    struct Node: Sendable {
        /// Numeric nodes: the split value. Categorical nodes: the index of the node's range in ``catRanges``.
        var threshold: Double
        var feature: Int32
        var left: Int32
        var right: Int32
        /// Where a NaN input goes, decided when loading: missing type NaN → the default side; none → as 0
        /// would; zero → the default side; categorical → right.
        var nanChild: Int32
        var kind: Kind

        enum Kind: UInt8, Sendable {
            /// Missing type none or NaN: NaN takes ``nanChild``, other values compare.
            case numeric
            /// Missing type zero: NaN and (near) zero take ``nanChild`` (the default side).
            case numericMissingZero
            case categorical
        }
    }

    struct CatRange: Sendable {
        var start: Int32
        var count: Int32
    }

    /// A linear-tree leaf: `constant + Σ coefficients[i] · x[features[i]]`, or the plain leaf value when
    /// one of those features is missing.
    struct LinearLeaf: Sendable {
        var constant: Double
        var features: [Int32]
        var coefficients: [Double]
    }

    public let featureNames: [String]
    /// Classes (1 for binary and regression).
    public let numClass: Int
    public let treesPerIteration: Int
    public let objective: Objective
    public let averageOutput: Bool
    /// The objective line as written in the file, for logs.
    public let objectiveText: String

    let layout: FeatureLayout
    let nodes: [Node]
    let leafValues: [Double]
    let catWords: [UInt32]
    /// Per categorical node: its bitset words in ``catWords`` (start, count); the words' set bits go left.
    let catRanges: [CatRange]
    /// Per tree: the root reference (node index, or ~leaf for a single-leaf tree).
    let roots: [Int32]
    /// Per global leaf, for linear trees (nil when no tree is linear).
    let linearLeaves: [LinearLeaf?]?

    public var inputNames: [String] { featureNames }
    public var kind: String { "lightgbm-native" }
    public var treeCount: Int { roots.count }

    /// LightGBM's `kZeroThreshold` (a float literal widened to double).
    static let zeroThreshold = Double(Float(1e-35))

    /// Parses a text model.
    public init(text: String) throws {
        self = try LightGBMParser.parse(text)
    }

    init(
        featureNames: [String], numClass: Int, treesPerIteration: Int, objective: Objective, objectiveText: String,
        averageOutput: Bool, layout: FeatureLayout, nodes: [Node], leafValues: [Double], catWords: [UInt32],
        catRanges: [CatRange], roots: [Int32], linearLeaves: [LinearLeaf?]?
    ) {
        self.featureNames = featureNames
        self.numClass = numClass
        self.treesPerIteration = treesPerIteration
        self.objective = objective
        self.objectiveText = objectiveText
        self.averageOutput = averageOutput
        self.layout = layout
        self.nodes = nodes
        self.leafValues = leafValues
        self.catWords = catWords
        self.catRanges = catRanges
        self.roots = roots
        self.linearLeaves = linearLeaves
    }

    /// The same model reading its features under other names (a signature's names for a model trained
    /// without any).
    func withInputNames(_ names: [String]) -> LightGBMModel {
        guard names.count == featureNames.count else { return self }
        return LightGBMModel(
            featureNames: names, numClass: numClass, treesPerIteration: treesPerIteration, objective: objective,
            objectiveText: objectiveText, averageOutput: averageOutput,
            layout: FeatureLayout(names: names, generatedNames: false, categories: layout.categories), nodes: nodes,
            leafValues: leafValues, catWords: catWords, catRanges: catRanges, roots: roots, linearLeaves: linearLeaves)
    }

    public func predict(_ frame: ScoringFrame) async throws -> Predictions {
        try predictSync(frame)
    }

    /// The same as ``predict(_:)`` without the async hop.
    public func predictSync(_ frame: ScoringFrame) throws -> Predictions {
        let x = try layout.matrix(from: frame, zeroBelow: Self.zeroThreshold)
        let out = transformed(raw: rawScores(matrix: x, rows: frame.rowCount), rows: frame.rowCount)
        if treesPerIteration == 1 { return .vector(out) }
        let k = treesPerIteration
        return .matrix((0..<frame.rowCount).map { Array(out[$0 * k..<($0 + 1) * k]) })
    }

    /// Rows scored together: trees run over a block of rows while the block's features stay in cache.
    static let blockRows = 256

    /// Raw scores (`rows × treesPerIteration`, row-major) of a dense row-major feature matrix.
    func rawScores(matrix: [Double], rows: Int, blockRows: Int = LightGBMModel.blockRows) -> [Double] {
        let k = treesPerIteration
        let width = layout.count
        var raw = [Double](repeating: 0, count: rows * k)
        nodes.withUnsafeBufferPointer { nodes in
            leafValues.withUnsafeBufferPointer { leaves in
                catWords.withUnsafeBufferPointer { words in
                  catRanges.withUnsafeBufferPointer { ranges in
                    matrix.withUnsafeBufferPointer { x in
                        raw.withUnsafeMutableBufferPointer { raw in
                            var blockStart = 0
                            while blockStart < rows {
                                let blockEnd = min(rows, blockStart + blockRows)
                                for (t, root) in roots.enumerated() {
                                    let cls = t % k
                                    for r in blockStart..<blockEnd {
                                        let row = x.baseAddress! + r * width
                                        let leaf = Self.leaf(root: root, row: row, nodes: nodes, words: words, ranges: ranges)
                                        let value: Double
                                        if let linear = linearLeaves, let lin = linear[leaf] {
                                            value = Self.linearOutput(lin, leafValue: leaves[leaf], row: row)
                                        } else {
                                            value = leaves[leaf]
                                        }
                                        raw[r * k + cls] += value
                                    }
                                }
                                blockStart = blockEnd
                            }
                        }
                    }
                  }
                }
            }
        }
        return raw
    }

    @inline(__always)
    static func leaf(
        root: Int32, row: UnsafePointer<Double>, nodes: UnsafeBufferPointer<Node>, words: UnsafeBufferPointer<UInt32>,
        ranges: UnsafeBufferPointer<CatRange>
    ) -> Int {
        var n = root
        while n >= 0 {
            let node = nodes[Int(n)]
            let x = row[Int(node.feature)]
            if x.isNaN {
                n = node.nanChild
                continue
            }
            switch node.kind {
            case .numeric:
                n = x <= node.threshold ? node.left : node.right
            case .numericMissingZero:
                if x >= -zeroThreshold && x <= zeroThreshold {
                    n = node.nanChild
                } else {
                    n = x <= node.threshold ? node.left : node.right
                }
            case .categorical:
                // C++ casts to int: values below 0 after truncation, and values beyond int32 (which x86
                // turns into INT_MIN), go right.
                guard x > -1, x < 2_147_483_648 else { n = node.right; continue }
                let v = Int(x)
                let word = v >> 5
                let range = ranges[Int(node.threshold)]
                if word < Int(range.count), (words[Int(range.start) + word] >> UInt32(v & 31)) & 1 == 1 {
                    n = node.left
                } else {
                    n = node.right
                }
            }
        }
        return Int(~n)
    }

    static func linearOutput(_ leaf: LinearLeaf, leafValue: Double, row: UnsafePointer<Double>) -> Double {
        var out = leaf.constant
        for (i, f) in leaf.features.enumerated() {
            let x = row[Int(f)]
            if x.isNaN { return leafValue }
            out += leaf.coefficients[i] * x
        }
        return out
    }

    /// Applies `average_output` and the objective's conversion to raw scores in place.
    func transformed(raw: [Double], rows: Int) -> [Double] {
        var out = raw
        let k = treesPerIteration
        if averageOutput {
            let iterations = Double(roots.count / max(k, 1))
            for i in out.indices { out[i] /= iterations }
        }
        switch objective {
        case .identity:
            break
        case .squared:
            for i in out.indices {
                let x = out[i]
                let sign: Double = x > 0 ? 1 : (x < 0 ? -1 : 0)
                out[i] = sign * x * x
            }
        case .binary(let sigmoid), .oneVersusAll(let sigmoid):
            for i in out.indices { out[i] = 1.0 / (1.0 + exp(-sigmoid * out[i])) }
        case .crossEntropy:
            for i in out.indices { out[i] = 1.0 / (1.0 + exp(-out[i])) }
        case .crossEntropyLambda:
            for i in out.indices { out[i] = log1p(exp(out[i])) }
        case .exponential:
            for i in out.indices { out[i] = exp(out[i]) }
        case .softmax:
            for r in 0..<rows {
                let base = r * k
                var wmax = out[base]
                for j in 1..<k { wmax = max(out[base + j], wmax) }
                var wsum = 0.0
                for j in 0..<k {
                    out[base + j] = exp(out[base + j] - wmax)
                    wsum += out[base + j]
                }
                for j in 0..<k { out[base + j] /= wsum }
            }
        }
        return out
    }
}
