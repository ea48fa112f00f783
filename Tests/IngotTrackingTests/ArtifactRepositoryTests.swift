import Foundation
import IngotStorage
import Testing

@testable import IngotTracking

@Suite struct ArtifactRepositoryTests {
    /// Parts staged by a multipart upload are joined in part order into one artifact (streamed chunk by chunk),
    /// then read back whole; a part that was never uploaded fails the completion.
    @Test func multipartPartsJoinInOrderAndReadBack() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-art-\(UUID().uuidString)")
        let repository = ArtifactRepository(objects: try LocalObjectStore(root: root))
        defer { try? FileManager.default.removeItem(at: root) }
        let uploadID = String(repeating: "ab", count: 16)
        let parts: [[UInt8]] = [[UInt8](repeating: 1, count: (1 << 20) + 3), [2, 2], [UInt8](repeating: 3, count: 10)]
        for (i, bytes) in parts.enumerated().reversed() {
            let upload = try await repository.beginPartUpload(uploadID: uploadID, part: i + 1)
            try await upload.write(bytes)
            try await upload.commit()
        }
        try await repository.completeMultipart(proxyPath: "1/run/artifacts/model.bin", uploadID: uploadID, parts: [3, 1, 2])
        #expect(try await repository.get(proxyPath: "1/run/artifacts/model.bin") == parts.flatMap { $0 })
        await #expect(throws: TrackingError.self) {
            try await repository.completeMultipart(proxyPath: "1/run/artifacts/x.bin", uploadID: uploadID, parts: [1])
        }
    }
}
