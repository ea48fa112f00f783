import Foundation
import IngotStorage
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct PositionalReadTests {
    @Test func readsRangesStopsAtEndOfFileAndReportsErrno() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-pread-\(UUID().uuidString)").path
        let bytes = (0..<10_000).map { UInt8($0 % 251) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        defer { unlink(path) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }

        #expect(try preadFully(fd, offset: 0, count: 10_000) == bytes)
        #expect(try preadFully(fd, offset: 4_000, count: 7) == Array(bytes[4_000..<4_007]))
        #expect(try preadFully(fd, offset: 9_995, count: 100) == Array(bytes[9_995...]))
        #expect(try preadFully(fd, offset: 10_000, count: 5) == [])
        #expect(try preadFully(fd, offset: 3, count: 0) == [])

        do {
            _ = try preadFully(-1, offset: 0, count: 4)
            Issue.record("reading a closed descriptor should fail")
        } catch {
            #expect(error.code == EBADF)
            #expect(error.message == String(cString: strerror(EBADF)))
        }
    }
}
