#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed `pread`: the call's `errno`.
public struct PositionalReadError: Error, Sendable {
    /// The `errno` the failing call left.
    public let code: Int32

    /// The system's text for `code` (`strerror`).
    public var message: String { String(cString: strerror(code)) }
}

/// Reads up to `count` bytes of `fd` from `offset` with `pread`, which leaves the descriptor's shared offset alone, so
/// concurrent ranged reads on one descriptor stay independent.
///
/// Short reads are continued and calls interrupted by a signal (`EINTR`) are retried; the result is shorter than
/// `count` only when end of file comes first.
/// - Parameters:
///   - fd: an open, readable descriptor.
///   - offset: the first byte to read.
///   - count: how many bytes to read at most; zero or less reads nothing.
/// - Returns: the bytes read.
/// - Throws: `PositionalReadError` with the `errno` of the first call that failed other than by `EINTR`.
public func preadFully(_ fd: Int32, offset: Int64, count: Int) throws(PositionalReadError) -> [UInt8] {
    guard count > 0 else { return [] }
    var buffer = [UInt8](repeating: 0, count: count)
    var done = 0
    var failure: Int32?
    buffer.withUnsafeMutableBytes { raw in
        while done < count {
            let n = pread(fd, raw.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                failure = errno
                return
            }
            if n == 0 { break }
            done += n
        }
    }
    if let failure { throw PositionalReadError(code: failure) }
    if done < count { buffer.removeLast(count - done) }
    return buffer
}
