import Foundation
import Testing
@testable import IngotServing

/// The committed fixtures written by `Fixtures/generate.py`: model files and, per model, a scoring frame
/// with the library's own predictions.
enum NativeFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(name))) }

    static func text(_ name: String) throws -> String { try String(contentsOf: url(name), encoding: .utf8) }

    struct Cases {
        var models: [String]
        var frame: ScoringFrame
        /// One row per request row: a single value, or the class probabilities.
        var expected: [[Double]]
    }

    static func cases(_ name: String) throws -> Cases {
        let doc = try ModelJSONParser.parse(bytes("\(name).cases.json"))
        let models = (doc["model"]?.string ?? "").split(separator: " ").map(String.init)
        let columns = (doc["columns"]?.elements ?? []).compactMap(\.string)
        let rows: [[ScoringValue]] = (doc["data"]?.elements ?? []).map { ($0.elements ?? []).map(\.scoringValue) }
        let expected: [[Double]] = (doc["expected"]?.elements ?? []).map { e in
            if let list = e.elements { return list.compactMap(\.double) }
            return [e.double ?? .nan]
        }
        return Cases(models: models, frame: ScoringFrame(columns: columns, rows: rows), expected: expected)
    }

    /// The largest difference between predictions and expectations, relative to max(1, |expected|).
    static func maxRelativeError(_ predictions: Predictions, _ expected: [[Double]]) -> Double {
        let got: [[Double]]
        switch predictions {
        case .vector(let v): got = v.map { [$0] }
        case .matrix(let m): got = m
        case .labels(let l): got = l.map { [$0.numeric ?? .nan] }
        }
        guard got.count == expected.count else { return .infinity }
        var worst = 0.0
        for (g, e) in zip(got, expected) {
            guard g.count == e.count else { return .infinity }
            for (a, b) in zip(g, e) {
                if a.isNaN || b.isNaN { if a.isNaN != b.isNaN { return .infinity }; continue }
                worst = max(worst, abs(a - b) / max(1, abs(b)))
            }
        }
        return worst
    }
}
