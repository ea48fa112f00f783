import Testing
@testable import IngotServing

@Suite struct UBJSONTests {
    @Test func scalarsAndContainers() throws {
        // {"a": [1, "x", true, null], "b": 2.5 (float64), "c": -2 (int8)} with unoptimized containers.
        var bytes: [UInt8] = [0x7B]
        bytes += [0x69, 1] + Array("a".utf8) + [0x5B, 0x55, 1, 0x53, 0x69, 1] + Array("x".utf8) + [0x54, 0x5A, 0x5D]
        bytes += [0x69, 1] + Array("b".utf8) + [0x44, 0x40, 0x04, 0, 0, 0, 0, 0, 0]
        bytes += [0x69, 1] + Array("c".utf8) + [0x69, 0xFE]
        bytes += [0x4E, 0x7D]  // a no-op before the end
        let doc = try UBJSONDecoder.decode(bytes)
        #expect(doc["a"] == .array([.int(1), .string("x"), .bool(true), .null]))
        #expect(doc["b"] == .double(2.5))
        #expect(doc["c"] == .int(-2))
    }

    @Test func optimizedContainers() throws {
        // [$d#i2 1.0f -2.0f], [$l#U2 …], [#i2 "p" 'C'], {$i#i1 "k" 7}
        let floats: [UInt8] = [0x5B, 0x24, 0x64, 0x23, 0x69, 2, 0x3F, 0x80, 0, 0, 0xC0, 0, 0, 0]
        #expect(try UBJSONDecoder.decode(floats) == .floats([1, -2]))
        let ints: [UInt8] = [0x5B, 0x24, 0x6C, 0x23, 0x55, 2, 0, 0, 1, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(try UBJSONDecoder.decode(ints) == .ints([256, -1]))
        let counted: [UInt8] = [0x5B, 0x23, 0x69, 2, 0x53, 0x69, 1, 0x70, 0x43, 0x71]
        #expect(try UBJSONDecoder.decode(counted) == .array([.string("p"), .string("q")]))
        let object: [UInt8] = [0x7B, 0x24, 0x69, 0x23, 0x69, 1, 0x69, 1, 0x6B, 7]
        #expect(try UBJSONDecoder.decode(object) == .object(["k": .int(7)]))
    }

    @Test func truncatedInputIsAParseError() {
        let truncated: [[UInt8]] = [[0x5B, 0x24, 0x64, 0x23, 0x69, 5, 0, 0], [0x7B, 0x69, 3, 0x61], [0x53, 0x69, 9, 0x61], [0x51]]
        for bytes in truncated {
            #expect(throws: NativeModelError.self) { try UBJSONDecoder.decode(bytes) }
        }
    }
}
