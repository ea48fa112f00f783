import Foundation
import Testing
@testable import IngotLake

@Suite struct TextReaderTests {
    func temp(_ name: String, _ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-text-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func csvQuotingNullsAndInference() throws {
        let text = "id,name,score,flag,day,ts\r\n1,\"a,b\",1.5,true,2020-01-02,2020-01-02T03:04:05.5Z\n2,\"multi\nline \"\"q\"\"\",,false,1969-12-31,2020-01-02 03:04:05+01:00\n3,\"\",7,,,\n\n4,,2,true,1900-03-01,\n"
        let path = try temp("a.csv", text)
        let r = try CSVReader(path: path)
        #expect(r.schema.fields.map(\.type) == [.int64, .string, .float64, .bool, .date, .timestamp(utc: true)])
        let b = try #require(try r.next())
        #expect(b.numRows == 4)
        #expect(b.columns[1].value(at: 0) == .string("a,b"))
        #expect(b.columns[1].value(at: 1) == .string("multi\nline \"q\""))
        #expect(b.columns[1].value(at: 2) == .string(""))
        #expect(b.columns[1].value(at: 3) == nil)
        #expect(b.columns[2].value(at: 1) == nil)
        #expect(b.columns[4].value(at: 1) == .int(-1))
        #expect(b.columns[5].value(at: 0) == .int(1_577_934_245_500_000))
        #expect(b.columns[5].value(at: 1) == .int(1_577_930_645_000_000))
        #expect(try r.next() == nil)
    }

    @Test func csvWideningAndStreaming() throws {
        var text = "a,b,c\n"
        for i in 0..<200_000 { text += "\(i),\(i % 3 == 0 ? "x" : "1"),\(i == 150_000 ? "2.5" : "3")\n" }
        let path = try temp("big.csv", text)
        var o = CSVOptions()
        o.inferenceRows = 100
        o.malformed = .rescue
        o.batchRows = 50_000
        let r = try CSVReader(path: path, options: o)
        #expect(r.schema.fields.map(\.type) == [.int64, .string, .int64, .string])
        var rows = 0
        var rescued = 0
        while let b = try r.next() {
            rows += b.numRows
            rescued += b.numRows - b.columns[3].nullCount
        }
        #expect(rows == 200_000)
        #expect(rescued == 1)
    }

    @Test func csvErrorsNameFileLineColumn() throws {
        let path = try temp("bad.csv", "a,b\n1,2\nx,3\n")
        var o = CSVOptions()
        o.schema = Schema([Field("a", .int64), Field("b", .int64)])
        let r = try CSVReader(path: path, options: o)
        #expect(throws: LakeError.malformedRow(file: path, line: 3, column: "a", detail: "cannot parse 'x' as int64")) { _ = try r.next() }
    }

    @Test func csvExplicitDecimalAndNullTokens() throws {
        let path = try temp("d.csv", "p;q\n12.5;NA\n-0.01;x\n")
        var o = CSVOptions()
        o.delimiter = UInt8(ascii: ";")
        o.nullTokens = ["NA"]
        o.schema = Schema([Field("p", .decimal(precision: 5, scale: 2)), Field("q", .string)])
        let b = try #require(try CSVReader(path: path, options: o).next())
        #expect(b.columns[0].value(at: 0) == .decimal(1250))
        #expect(b.columns[0].value(at: 1) == .decimal(-1))
        #expect(b.columns[1].value(at: 0) == nil)
    }

    @Test func jsonLines() throws {
        let text = """
            {"a": 1, "b": "x\\u00e9\\n", "c": 1.5, "d": true, "e": {"k": [1, 2]}, "day": "2020-01-01"}
            {"a": 2, "b": null, "c": 2, "d": false, "e": null, "day": "1960-05-05"}

            {"a": 3, "extra": 1}
            """
        let path = try temp("a.jsonl", text)
        let r = try JSONLinesReader(path: path)
        #expect(r.schema.fields.map(\.name) == ["a", "b", "c", "d", "e", "day", "extra"])
        #expect(r.schema.fields.map(\.type) == [.int64, .string, .float64, .bool, .string, .date, .int64])
        let b = try #require(try r.next())
        #expect(b.numRows == 3)
        #expect(b.columns[1].value(at: 0) == .string("xé\n"))
        #expect(b.columns[2].value(at: 1) == .double(2))
        #expect(b.columns[4].value(at: 0) == .string("{\"k\": [1, 2]}"))
        #expect(b.columns[0].value(at: 2) == .int(3))
        #expect(b.columns[1].value(at: 2) == nil)
    }

    @Test func jsonLinesRescue() throws {
        let path = try temp("r.jsonl", "{\"a\": 1}\n{\"a\": \"zz\"}\n[1,2\n")
        var o = JSONLinesOptions()
        o.schema = Schema([Field("a", .int64)])
        #expect(throws: LakeError.self) { _ = try JSONLinesReader(path: path, options: o).next() }
        o.malformed = .rescue
        let b = try #require(try JSONLinesReader(path: path, options: o).next())
        #expect(b.columns[0].value(at: 1) == nil)
        guard case .string(let s)? = b.columns[1].value(at: 1) else { Issue.record("no rescue"); return }
        #expect(s.contains("\"a\": \"zz\"") && s.contains("_file_path"))
        guard case .string(let raw)? = b.columns[1].value(at: 2) else { Issue.record("no rescue"); return }
        #expect(raw.contains("_raw"))
    }

    @Test func formatting() {
        #expect(ValueFormatting.date(-1) == "1969-12-31")
        #expect(ValueFormatting.date(0) == "1970-01-01")
        #expect(ValueFormatting.timestamp(-1, utc: true) == "1969-12-31T23:59:59.999999Z")
        #expect(ValueFormatting.decimal(-5, scale: 3) == "-0.005")
        #expect(ValueFormatting.decimal(Int128.min + 1, scale: 0).hasPrefix("-1701411834604692317"))
        #expect(ValueFormatting.base64([1, 2, 3, 4]) == "AQIDBA==")
        #expect(ValueFormatting.timestamp(.min, utc: false).count > 10)
    }
}
