import ArgumentParser
import AsyncHTTPClient
import Foundation
import IngotCore
import NIOCore
import NIOHTTP1

/// `--server` / `--token`, shared by every command that talks to a running server.
struct ClientOptions: ParsableArguments {
    @Option(help: "Ingot server URL (default $INGOT_SERVER or http://127.0.0.1:\(IngotConfig.defaultPort)).")
    var server: String?
    @Option(help: "Access token (default $INGOT_TOKEN).")
    var token: String?

    func client() throws -> IngotClient {
        let env = ProcessInfo.processInfo.environment
        let base = server ?? env["INGOT_SERVER"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:\(IngotConfig.defaultPort)"
        guard let url = URL(string: base), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw CLIError("invalid server URL '\(base)' (expected http://HOST:PORT)")
        }
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        return IngotClient(baseURL: trimmed, token: token ?? env["INGOT_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
    }
}

/// A failure reported to the user as one line on stderr with a non-zero exit.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A small JSON-over-HTTP client for the server's REST APIs.
struct IngotClient: Sendable {
    let baseURL: String
    let token: String?
    static let maxResponseBytes = 256 * 1024 * 1024

    /// One HTTP client per process. Connection failures are reported at once instead of being
    /// retried until the request deadline, so a stopped server gives an immediate, clear error.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Sends a request and returns the decoded JSON object (or nil for an empty body).
    func call(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: Any? = nil) async throws -> Any? {
        let bytes = try await raw(method, path, query: query, body: body)
        if bytes.isEmpty { return nil }
        return try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    /// Sends a request and returns the raw response body, mapping error responses to one-line errors.
    func raw(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: Any? = nil) async throws -> [UInt8] {
        var request = makeRequest(method, path, query: query)
        if let body {
            let data = try JSONSerialization.data(withJSONObject: body)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: data))
        }
        return try await send(request, timeout: .seconds(300))
    }

    /// POSTs raw bytes with a content type (CSV scoring bodies), mapping error answers like ``raw``.
    func post(_ path: String, bytes: [UInt8], contentType: String) async throws -> [UInt8] {
        var request = makeRequest(.POST, path)
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(ByteBuffer(bytes: bytes))
        return try await send(request, timeout: .seconds(300))
    }

    /// Streams a local file as the request body (never loading it whole), reporting bytes sent.
    func upload(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], file: String, progress: @escaping @Sendable (Int64) -> Void
    ) async throws -> Any? {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw CLIError("cannot open \(file)") }
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int64) ?? 0
        var request = makeRequest(method, path, query: query)
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .stream(FileChunks(handle: handle, progress: progress), length: .known(size))
        let bytes = try await send(request, timeout: .hours(2))
        return bytes.isEmpty ? nil : try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    /// The request for `path` with its query string and the caller's token.
    private func makeRequest(_ method: HTTPMethod, _ path: String, query: [(String, String)] = []) -> HTTPClientRequest {
        var url = baseURL + path
        if !query.isEmpty {
            var components = URLComponents()
            components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
            url += "?" + (components.percentEncodedQuery ?? "")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return request
    }

    /// Executes a request and returns its body; a failure to connect and an error answer each
    /// become one readable line (the API's `error_code: message` when it sent one).
    private func send(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> [UInt8] {
        let response: HTTPClientResponse
        do {
            response = try await Self.http.execute(request, timeout: timeout)
        } catch {
            throw CLIError("cannot reach the Ingot server at \(baseURL) (\(Self.describe(error))); is `ingot serve` running?")
        }
        var buffer = try await response.body.collect(upTo: Self.maxResponseBytes)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        guard (200..<300).contains(response.status.code) else {
            if let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                let code = object["error_code"] as? String
            {
                throw CLIError("\(code): \(object["message"] as? String ?? "")")
            }
            throw CLIError("server answered \(response.status.code) \(response.status.reasonPhrase)")
        }
        return bytes
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count > 120 ? String(text.prefix(120)) + "…" : text
    }
}

/// A file read in 1 MiB chunks as an async sequence of buffers, for streamed uploads.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let handle: FileHandle
    let progress: @Sendable (Int64) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle
        let progress: @Sendable (Int64) -> Void
        var sent: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else {
                try? handle.close()
                return nil
            }
            sent += Int64(data.count)
            progress(sent)
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: handle, progress: progress) }
}
