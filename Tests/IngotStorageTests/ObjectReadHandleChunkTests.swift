import Foundation
import IngotStorage
import Testing

@Suite struct ObjectReadHandleChunkTests {
    @Test func chunksCoverTheObjectInOrderAndReadAllJoinsThem() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-chunks-\(UUID().uuidString)")
        let store = try LocalObjectStore(root: root)
        defer { try? FileManager.default.removeItem(at: root) }
        let bytes = (0..<((5 << 20) / 2)).map { UInt8(truncatingIfNeeded: $0 &* 31) }  // 2.5 MiB: three default chunks
        try await store.put("artifacts/big.bin", bytes)

        let handle = try await store.openRead("artifacts/big.bin")
        var sizes: [Int] = []
        var joined: [UInt8] = []
        try await handle.forEachChunk { chunk in
            sizes.append(chunk.count)
            joined += chunk
        }
        #expect(sizes == [1 << 20, 1 << 20, 1 << 19] && joined == bytes)
        var small: [Int] = []
        try await handle.forEachChunk(of: 1_000_000) { small.append($0.count) }
        #expect(small == [1_000_000, 1_000_000, 621_440])
        #expect(try await handle.readAll() == bytes)
        #expect(try await store.get("artifacts/big.bin") == bytes)
        await handle.close()

        try await store.put("artifacts/empty.bin", [])
        let empty = try await store.openRead("artifacts/empty.bin")
        try await empty.forEachChunk { _ in Issue.record("an empty object has no chunks") }
        #expect(try await empty.readAll() == [])
    }
}
