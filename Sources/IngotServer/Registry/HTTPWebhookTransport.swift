import AsyncHTTPClient
import Foundation
import IngotRegistry
import NIOCore
import NIOHTTP1

/// Delivers registry webhooks over HTTP or HTTPS with AsyncHTTPClient. Redirects are not
/// followed (a receiver must answer at the registered URL) and connection failures are reported
/// at once so the dispatcher's own backoff decides when to retry.
struct HTTPWebhookTransport: WebhookTransport {
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    struct TransportError: Error, CustomStringConvertible {
        let description: String
    }

    func post(url: String, headers: [(String, String)], body: [UInt8], timeoutSeconds: Int) async throws -> (status: Int, body: String) {
        guard let parsed = URLComponents(string: url), parsed.host != nil, let scheme = parsed.scheme?.lowercased(),
            scheme == "http" || scheme == "https"
        else { throw TransportError(description: "invalid webhook URL \(url)") }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers where !name.contains("\r") && !value.contains("\r") && !value.contains("\n") {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await Self.client.execute(request, timeout: .seconds(Int64(max(1, timeoutSeconds))))
        // Keep only a prefix of the receiver's answer for the delivery log; ignore the rest.
        var prefix = ByteBuffer()
        for try await chunk in response.body {
            var chunk = chunk
            if prefix.readableBytes < 4096 { prefix.writeBuffer(&chunk) } else { break }
        }
        return (Int(response.status.code), String(String(buffer: prefix).prefix(1000)))
    }
}
