import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// A `dbfs:/Volumes/<c>/<s>/<v>/...` (or `/Volumes/...`) path; anything else is a local path.
struct RemotePath {
    /// `/Volumes/c/s/v/dir/file`, without a trailing slash.
    let path: String

    init?(_ raw: String) {
        var text = raw
        if text.hasPrefix("dbfs:") { text = String(text.dropFirst("dbfs:".count)) }
        guard text.hasPrefix("/Volumes/") else { return nil }
        while text.count > 1, text.hasSuffix("/") { text.removeLast() }
        path = text
    }

    init(path: String) { self.path = path }

    var name: String { (path as NSString).lastPathComponent }
    func child(_ name: String) -> RemotePath { RemotePath(path: path + "/" + name) }
    var encoded: String { path.addingPercentEncoding(withAllowedCharacters: Self.allowed) ?? path }
    static let allowed: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "/-._~")
        return set
    }()
}

/// The Files API calls the `fs` commands make; bodies stream both ways.
extension IngotClient {
    static let filesAPI = "/api/2.0/fs/files"
    static let directoriesAPI = "/api/2.0/fs/directories"

    func fsRequest(_ method: HTTPMethod, _ api: String, _ remote: RemotePath, query: [(String, String)] = []) -> HTTPClientRequest {
        var url = baseURL + api + remote.encoded
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

    func execute(_ request: HTTPClientRequest, timeout: TimeAmount = .seconds(300)) async throws -> HTTPClientResponse {
        do {
            return try await Self.http.execute(request, timeout: timeout)
        } catch {
            throw CLIError("cannot reach the Ingot server at \(baseURL) (\(Self.describe(error))); is `ingot serve` running?")
        }
    }

    /// One readable line for an error answer.
    static func failure(_ response: HTTPClientResponse, _ path: RemotePath) async -> CLIError {
        let buffer = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
        if let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any], let code = object["error_code"] as? String {
            return CLIError("\(code): \(object["message"] as? String ?? "")")
        }
        return CLIError("dbfs:\(path.path): server answered \(response.status.code) \(response.status.reasonPhrase)")
    }

    /// What a remote path is: a file (with its size), a directory, or nothing.
    enum RemoteKind { case file(Int64), directory, missing }

    func kind(_ remote: RemotePath) async throws -> RemoteKind {
        let file = try await execute(fsRequest(.HEAD, Self.filesAPI, remote))
        if file.status == .ok { return .file(file.headers.first(name: "Content-Length").flatMap(Int64.init) ?? 0) }
        if file.status == .unauthorized || file.status == .forbidden { throw await Self.failure(file, remote) }
        let dir = try await execute(fsRequest(.HEAD, Self.directoriesAPI, remote))
        if dir.status == .ok { return .directory }
        if dir.status == .unauthorized || dir.status == .forbidden { throw await Self.failure(dir, remote) }
        return .missing
    }

    /// Every entry of a remote directory (all pages).
    func entries(_ remote: RemotePath) async throws -> [[String: Any]] {
        var out: [[String: Any]] = []
        var token: String?
        repeat {
            var query = [("page_size", "1000")]
            if let token { query.append(("page_token", token)) }
            let response = try await execute(fsRequest(.GET, Self.directoriesAPI, remote, query: query))
            guard response.status == .ok else { throw await Self.failure(response, remote) }
            let buffer = try await response.body.collect(upTo: 64 << 20)
            let object = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] ?? [:]
            out += object["contents"] as? [[String: Any]] ?? []
            token = (object["next_page_token"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return out
    }

    func send(_ method: HTTPMethod, _ api: String, _ remote: RemotePath) async throws {
        let response = try await execute(fsRequest(method, api, remote))
        guard (200..<300).contains(response.status.code) else { throw await Self.failure(response, remote) }
        _ = try await response.body.collect(upTo: 1 << 20)
    }

    /// Streams a local file to a remote path.
    func put(local: String, remote: RemotePath, overwrite: Bool, progress: Progress) async throws {
        guard let handle = FileHandle(forReadingAtPath: local) else { throw CLIError("cannot open \(local)") }
        let size = (try? FileManager.default.attributesOfItem(atPath: local)[.size] as? Int64) ?? 0
        var request = fsRequest(.PUT, Self.filesAPI, remote, query: [("overwrite", overwrite ? "true" : "false")])
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        progress.start(size)
        request.body = .stream(FileChunks(handle: handle, progress: { progress.update($0) }), length: .known(size))
        let response = try await execute(request, timeout: .hours(2))
        guard (200..<300).contains(response.status.code) else { throw await Self.failure(response, remote) }
        _ = try await response.body.collect(upTo: 1 << 20)
        progress.finish()
    }

    /// Streams a remote file into a local file (written beside it, then renamed into place).
    func get(remote: RemotePath, local: String, progress: Progress) async throws {
        let response = try await execute(fsRequest(.GET, Self.filesAPI, remote), timeout: .hours(2))
        guard response.status == .ok else { throw await Self.failure(response, remote) }
        let size = response.headers.first(name: "Content-Length").flatMap(Int64.init) ?? 0
        let temp = local + ".ingot-download"
        guard FileManager.default.createFile(atPath: temp, contents: nil), let out = FileHandle(forWritingAtPath: temp) else {
            throw CLIError("cannot write \(local)")
        }
        progress.start(size)
        var written: Int64 = 0
        do {
            for try await buffer in response.body {
                try out.write(contentsOf: buffer.readableBytesView)
                written += Int64(buffer.readableBytes)
                progress.update(written)
            }
            try out.close()
            if FileManager.default.fileExists(atPath: local) { try FileManager.default.removeItem(atPath: local) }
            try FileManager.default.moveItem(atPath: temp, toPath: local)
        } catch {
            try? out.close()
            try? FileManager.default.removeItem(atPath: temp)
            throw error is CLIError ? error : CLIError("cannot write \(local): \(error.localizedDescription)")
        }
        progress.finish()
    }
}

/// A progress line on stderr for copies of 8 MiB or more (rewritten in place on a terminal).
final class Progress: @unchecked Sendable {
    let label: String
    var total: Int64 = 0
    var lastShown: Int64 = -1
    let terminal = isatty(2) != 0
    static let threshold: Int64 = 8 << 20

    init(_ label: String) { self.label = label }

    func start(_ total: Int64) { self.total = total }

    func update(_ done: Int64) {
        guard total >= Self.threshold else { return }
        let percent = total > 0 ? done * 100 / total : 100
        guard percent / 10 != lastShown / 10 || (terminal && percent != lastShown) else { return }
        lastShown = percent
        let line = "\(label): \(done >> 20)/\(total >> 20) MiB (\(percent)%)"
        FileHandle.standardError.write(Data((terminal ? "\r" + line : line + "\n").utf8))
    }

    func finish() {
        if total >= Self.threshold, terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
