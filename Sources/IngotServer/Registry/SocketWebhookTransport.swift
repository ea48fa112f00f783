import Dispatch
import Foundation
import IngotRegistry

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A minimal HTTP/1.1 client for webhook deliveries over plain sockets (`http://` only), run on a
/// dispatch queue so blocking I/O never occupies Swift's cooperative pool.
///
/// TODO(lead): swap for AsyncHTTPClient (already in the package graph) to get `https://` receivers;
/// that needs the `AsyncHTTPClient` product added to the `IngotServer` target.
struct SocketWebhookTransport: WebhookTransport {
    struct TransportError: Error, CustomStringConvertible {
        let description: String
    }

    func post(url: String, headers: [(String, String)], body: [UInt8], timeoutSeconds: Int) async throws -> (status: Int, body: String) {
        guard let parsed = URLComponents(string: url), let host = parsed.host, let scheme = parsed.scheme?.lowercased() else {
            throw TransportError(description: "invalid URL \(url)")
        }
        guard scheme == "http" else { throw TransportError(description: "only http:// webhook URLs are supported by this build") }
        let port = parsed.port ?? 80
        var target = parsed.percentEncodedPath.isEmpty ? "/" : parsed.percentEncodedPath
        if let q = parsed.percentEncodedQuery { target += "?" + q }
        var head = "POST \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for (name, value) in headers where !name.contains("\r") && !value.contains("\r") && !value.contains("\n") {
            head += "\(name): \(value)\r\n"
        }
        head += "\r\n"
        let request = Array(head.utf8) + body
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    continuation.resume(returning: try Self.exchange(host: host, port: port, request: request, timeout: timeoutSeconds))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    static func exchange(host: String, port: Int, request: [UInt8], timeout: Int) throws -> (status: Int, body: String) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
            hints.ai_socktype = SOCK_STREAM
        #endif
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &info) == 0, let first = info else {
            throw TransportError(description: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(info) }
        var fd: Int32 = -1
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        while let ai = cursor {
            let s = socket(ai.pointee.ai_family, ai.pointee.ai_socktype, ai.pointee.ai_protocol)
            if s >= 0 {
                setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                if connect(s, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 {
                    fd = s
                    break
                }
                close(s)
            }
            cursor = ai.pointee.ai_next
        }
        guard fd >= 0 else { throw TransportError(description: "cannot connect to \(host):\(port)") }
        defer { close(fd) }
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw TransportError(description: "send to \(host):\(port) failed (errno \(errno))") }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while response.count < 256 * 1024 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 { throw TransportError(description: "no response from \(host):\(port) (errno \(errno))") }
            if n == 0 { break }
            response += buffer[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        let statusLine = text.split(separator: "\r\n", maxSplits: 1).first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw TransportError(description: "malformed response from \(host):\(port)")
        }
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...].prefix(4096)) } ?? ""
        return (status, body)
    }
}
