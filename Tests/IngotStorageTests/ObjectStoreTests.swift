import Foundation
import Testing

@testable import IngotStorage

@Suite struct ObjectStoreTests {
    func makeStore() throws -> (LocalObjectStore, URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-os-\(UUID().uuidString)")
        return (try LocalObjectStore(root: root), root)
    }

    @Test func putGetHeadListDelete() async throws {
        let (store, _) = try makeStore()
        try await store.put("artifacts/1/a/b.txt", Array("hello".utf8))
        try await store.put("artifacts/1/a/c/d.bin", [0, 1, 2])
        #expect(try await store.get("artifacts/1/a/b.txt") == Array("hello".utf8))
        #expect(try await store.head("artifacts/1/a/b.txt")?.size == 5)
        #expect(try await store.head("artifacts/1/missing") == nil)
        let all = try await store.list(prefix: "artifacts/1/a", recursive: true).map(\.key)
        #expect(all == ["artifacts/1/a/b.txt", "artifacts/1/a/c/d.bin"])
        let shallow = try await store.list(prefix: "artifacts/1/a/", recursive: false)
        #expect(shallow.map(\.key) == ["artifacts/1/a/b.txt", "artifacts/1/a/c"])
        #expect(shallow.last?.isDirectory == true)
        try await store.delete("artifacts/1/a/b.txt")
        #expect(try await store.head("artifacts/1/a/b.txt") == nil)
        #expect(try await store.deleteAll(prefix: "artifacts/1") == 1)
        #expect(try await store.list(prefix: "artifacts/1", recursive: true).isEmpty)
    }

    @Test func overwriteReplacesWholeObject() async throws {
        let (store, _) = try makeStore()
        try await store.put("warehouse/t/f", [UInt8](repeating: 1, count: 1000))
        try await store.put("warehouse/t/f", [2])
        #expect(try await store.get("warehouse/t/f") == [2])
    }

    @Test func streamingUploadAndRangedRead() async throws {
        let (store, _) = try makeStore()
        let upload = try await store.beginUpload("volumes/big")
        for i in 0..<64 { try await upload.write([UInt8](repeating: UInt8(i), count: 4096)) }
        // Nothing is visible before commit.
        #expect(try await store.head("volumes/big") == nil)
        #expect(try await upload.commit() == 64 * 4096)
        let handle = try await store.openRead("volumes/big")
        #expect(handle.size == 64 * 4096)
        #expect(try await handle.read(offset: 4096 * 5 + 10, length: 3) == [5, 5, 5])
        #expect(try await handle.read(offset: handle.size - 2, length: 100).count == 2)
    }

    @Test func abortedUploadLeavesNothing() async throws {
        let (store, root) = try makeStore()
        let upload = try await store.beginUpload("volumes/x")
        try await upload.write([1, 2, 3])
        await upload.abort()
        #expect(try await store.head("volumes/x") == nil)
        let staging = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("tmp").path)
        #expect(staging.isEmpty)
    }

    @Test func abandonedStagingFilesAreCleanedByAge() async throws {
        let (store, root) = try makeStore()
        let staging = root.appendingPathComponent("tmp")
        let old = staging.appendingPathComponent("upload-old")
        let fresh = staging.appendingPathComponent("upload-fresh")
        try Data([1]).write(to: old)
        try Data([2]).write(to: fresh)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: old.path)
        #expect(store.removeAbandonedUploads(olderThan: 3600) == 1)
        #expect(!FileManager.default.fileExists(atPath: old.path))
        #expect(FileManager.default.fileExists(atPath: fresh.path))
    }

    @Test func putIfAbsentRaceHasExactlyOneWinner() async throws {
        let (store, _) = try makeStore()
        for round in 0..<5 {
            let key = "warehouse/t/_delta_log/\(String(format: "%020d", round)).json"
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for writer in 0..<32 {
                    group.addTask { try await store.putIfAbsent(key, Array("writer \(writer)".utf8)) }
                }
                var count = 0
                for try await won in group where won { count += 1 }
                return count
            }
            #expect(wins == 1)
            let content = String(decoding: try await store.get(key), as: UTF8.self)
            #expect(content.hasPrefix("writer "))
        }
    }

    @Test(arguments: [
        "", "/etc/passwd", "../x", "artifacts/../../etc/passwd", "artifacts/./x", "artifacts//x",
        "artifacts/a\\b", "artifacts/a\0b", "artifacts/..", "metadata.sqlite", "tmp/upload-x", "artifacts/x/",
    ])
    func escapeAttemptsAreRejected(key: String) async throws {
        let (store, _) = try makeStore()
        await #expect(throws: StorageError.self) { try await store.put(key, [1]) }
        await #expect(throws: StorageError.self) { _ = try await store.openRead(key) }
        await #expect(throws: StorageError.self) { try await store.delete(key) }
    }

    @Test func symlinksAreNeverFollowed() async throws {
        let (store, root) = try makeStore()
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-outside-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data("secret".utf8).write(to: outside.appendingPathComponent("secret.txt"))
        try FileManager.default.createDirectory(at: root.appendingPathComponent("artifacts"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("artifacts/link"), withDestinationURL: outside)
        await #expect(throws: StorageError.self) { _ = try await store.get("artifacts/link/secret.txt") }
        await #expect(throws: StorageError.self) { try await store.put("artifacts/link/new.txt", [1]) }
        #expect(!FileManager.default.fileExists(atPath: outside.appendingPathComponent("new.txt").path))
        let listed = try await store.list(prefix: "artifacts", recursive: true)
        #expect(listed.isEmpty)
    }
}
