import Foundation
import Testing

@testable import IngotServer

/// The byte-level JSON parser behind every MLflow request body: grammar, escapes, numbers, limits,
/// and agreement with Foundation's `JSONSerialization` on generated documents.
@Suite struct JSONValueParserTests {
    static func parse(_ text: String) throws -> JSONValue { try JSONValueParser.parse(Data(text.utf8)) }

    /// The first place where our parse differs from Foundation's, or nil.
    static func difference(_ value: JSONValue, _ expected: Any, path: String) -> String? {
        switch value {
        case .null: return expected is NSNull ? nil : "\(path): null vs \(expected)"
        case .bool(let b):
            guard let n = expected as? NSNumber, n.boolValue == b else {
                return "\(path): \(b) vs \(expected)"
            }
            return nil
        case .int(let i):
            guard let n = expected as? NSNumber, n.int64Value == i || n.doubleValue == Double(i) else { return "\(path): \(i) vs \(expected)" }
            return nil
        case .double(let d):
            // Foundation's parser on Linux is not always correctly rounded (seen 3 ulps off:
            // "1030285923.6585693"); ours is checked exactly in `doublesRoundTripExactly`.
            guard let n = expected as? NSNumber, abs(n.doubleValue - d) <= abs(d) * 1e-13 else { return "\(path): \(d) vs \(expected)" }
            return nil
        case .string(let s):
            guard let e = expected as? String, e == s else { return "\(path): \(s.debugDescription) vs \(expected)" }
            return nil
        case .array(let items):
            guard let e = expected as? [Any], e.count == items.count else { return "\(path): array length" }
            for (i, item) in items.enumerated() {
                if let d = difference(item, e[i], path: "\(path)[\(i)]") { return d }
            }
            return nil
        case .object(let members):
            guard let e = expected as? [String: Any], Set(e.keys) == Set(members.keys) else {
                return "\(path): keys \(members.keys.sorted()) vs \((expected as? [String: Any])?.keys.sorted() ?? [])"
            }
            for (k, v) in members {
                if let d = difference(v, e[k]!, path: "\(path).\(k)") { return d }
            }
            return nil
        }
    }

    @Test func scalarsAndContainers() throws {
        guard case .object(let o) = try Self.parse(#" { "a" : [1, -2, 3.5, 1e3, true, false, null], "b": {"c": "d"}, "e": [] } "#) else {
            Issue.record("not an object")
            return
        }
        guard case .array(let a)? = o["a"] else { Issue.record("a"); return }
        #expect(a.count == 7)
        if case .int(let i) = a[0] { #expect(i == 1) } else { Issue.record("a[0]") }
        if case .int(let i) = a[1] { #expect(i == -2) } else { Issue.record("a[1]") }
        if case .double(let d) = a[2] { #expect(d == 3.5) } else { Issue.record("a[2]") }
        if case .double(let d) = a[3] { #expect(d == 1000) } else { Issue.record("a[3]") }
        if case .bool(true) = a[4] {} else { Issue.record("a[4]") }
        if case .null = a[6] {} else { Issue.record("a[6]") }
        if case .object(let b)? = o["b"], case .string(let c)? = b["c"] { #expect(c == "d") } else { Issue.record("b") }
    }

    @Test func integerExtremesAndOverflow() throws {
        if case .int(let i) = try Self.parse("-9223372036854775808") { #expect(i == Int64.min) } else { Issue.record("min") }
        if case .int(let i) = try Self.parse("9223372036854775807") { #expect(i == Int64.max) } else { Issue.record("max") }
        if case .double(let d) = try Self.parse("9223372036854775808") { #expect(d == 9_223_372_036_854_775_808) } else { Issue.record("over") }
        if case .double(let d) = try Self.parse("123456789012345678901234567890") { #expect(d > 1e29) } else { Issue.record("huge") }
    }

    @Test func pythonNonFiniteTokens() throws {
        if case .array(let items) = try Self.parse("[NaN, Infinity, -Infinity]"),
            case .double(let a) = items[0], case .double(let b) = items[1], case .double(let c) = items[2]
        {
            #expect(a.isNaN)
            #expect(b == .infinity)
            #expect(c == -.infinity)
        } else {
            Issue.record("non-finite tokens")
        }
    }

    @Test func escapesAndUnicode() throws {
        let value = try Self.parse(#""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00 é 😀""#)
        guard case .string(let s) = value else { Issue.record("not a string"); return }
        #expect(s == "a\"b\\c/d\u{08}\u{0C}\n\r\té😀 é 😀")
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":}", "{\"a\" 1}", "[1 2]", "01", "1.", "1e", "-", "\"abc", "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"",
        "tru", "nul", "[1]]", "{\"a\":1,}", "\"a\u{01}b\"", "+1", ".5", "{1:2}",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(throws: JSONValueParser.Failure.self) { try Self.parse(text) }
    }

    @Test func doublesRoundTripExactly() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let d = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator))
            guard d.isFinite else { continue }
            let text = "\(d)".replacingOccurrences(of: "e+", with: "e")
            switch try Self.parse(text) {
            case .double(let parsed): #expect(parsed == d, "\(text)")
            case .int(let i): #expect(Double(i) == d, "\(text)")
            default: Issue.record("\(text) did not parse as a number")
            }
        }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONValueParser.Failure.self) { try JSONValueParser.parse(Data([0x22, 0xFF, 0xFE, 0x22])) }
    }

    @Test func refusesDeepNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONValueParser.Failure.self) { try Self.parse(deep) }
        let allowed = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: Never.self) { try Self.parse(allowed) }
    }

    /// Random documents serialized by Foundation parse to the same values.
    @Test func agreesWithJSONSerialization() throws {
        var generator = SystemRandomNumberGenerator()
        func randomString() -> String {
            let alphabet = Array("abc xyz\"\\/\n\t\u{01}é😀中")
            return String((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
        }
        func randomValue(_ depth: Int) -> Any {
            switch Int.random(in: 0...(depth > 3 ? 4 : 6), using: &generator) {
            case 0: return NSNull()
            case 1: return Bool.random(using: &generator)
            case 2: return Int64.random(in: Int64.min...Int64.max, using: &generator)
            case 3: return Double.random(in: -1e12...1e12, using: &generator)
            case 4: return randomString()
            case 5: return (0..<Int.random(in: 0...5, using: &generator)).map { _ in randomValue(depth + 1) }
            default:
                var object: [String: Any] = [:]
                for _ in 0..<Int.random(in: 0...5, using: &generator) { object[randomString()] = randomValue(depth + 1) }
                return object
            }
        }
        for _ in 0..<300 {
            let document: [String: Any] = ["root": randomValue(0)]
            let data = try JSONSerialization.data(withJSONObject: document)
            let expected = try JSONSerialization.jsonObject(with: data)
            let mismatch = Self.difference(try JSONValueParser.parse(data), expected, path: "$")
            #expect(mismatch == nil, "\(mismatch ?? "") in \(String(decoding: data, as: UTF8.self))")
        }
    }
}
