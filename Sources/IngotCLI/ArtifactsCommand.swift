import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore

/// `ingot artifacts list|download`: a run's artifacts through the server's artifact proxy.
struct ArtifactsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "artifacts", abstract: "List and download MLflow run artifacts.", subcommands: [List.self, Download.self])
}

extension ArtifactsCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a run's artifacts under a path.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Run ID.") var runID: String
        @Argument(help: "Directory inside the run's artifacts.") var path: String = ""

        func run() async throws {
            let files = try await listFiles(try client.client(), runID, path)
            switch output.output {
            case .json: try printJSON(files)
            case .table:
                var table = TextTable(["PATH", "SIZE"])
                for f in files { table.add([(f["path"] as? String ?? "") + ((f["is_dir"] as? Bool) == true ? "/" : ""), formatValue(f["file_size"])]) }
                print(table.render())
            }
        }
    }

    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download a run's artifact file or directory.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Run ID.") var runID: String
        @Argument(help: "Artifact path inside the run.") var path: String
        @Option(help: "Destination directory (default: the current directory).") var dest: String = "."

        func run() async throws {
            let api = try client.client()
            var written: [[String: Any]] = []
            let files = try await listFiles(api, runID, path)
            let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
            if files.isEmpty {
                // A file: the listing of a file path is empty.
                let target = URL(fileURLWithPath: dest).appendingPathComponent((trimmed as NSString).lastPathComponent)
                written.append(try await download(api, runID, trimmed, to: target))
            } else {
                let base = URL(fileURLWithPath: dest).appendingPathComponent((trimmed as NSString).lastPathComponent)
                var queue = files
                while let file = queue.first {
                    queue.removeFirst()
                    let filePath = file["path"] as? String ?? ""
                    if (file["is_dir"] as? Bool) == true {
                        queue += try await listFiles(api, runID, filePath)
                        continue
                    }
                    let relative = trimmed.isEmpty ? filePath : String(filePath.dropFirst(trimmed.count + 1))
                    written.append(try await download(api, runID, filePath, to: base.appendingPathComponent(relative)))
                }
            }
            switch output.output {
            case .json: try printJSON(written)
            case .table: for w in written { print("\(w["path"] ?? "")  \(w["bytes"] ?? 0) bytes") }
            }
        }

        /// Streams one file to disk (never held whole in memory).
        func download(_ api: IngotClient, _ runID: String, _ path: String, to target: URL) async throws -> [String: Any] {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            var components = URLComponents()
            components.queryItems = [URLQueryItem(name: "run_id", value: runID), URLQueryItem(name: "path", value: path)]
            var request = HTTPClientRequest(url: api.baseURL + "/get-artifact?" + (components.percentEncodedQuery ?? ""))
            if let token = api.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(3600))
            guard response.status.code == 200 else {
                var body = try await response.body.collect(upTo: 1 << 20)
                let text = body.readString(length: body.readableBytes) ?? ""
                if let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], let code = object["error_code"] as? String {
                    throw CLIError("\(code): \(object["message"] as? String ?? "")")
                }
                throw CLIError("server answered \(response.status.code) for \(path)")
            }
            _ = FileManager.default.createFile(atPath: target.path, contents: nil)
            guard let handle = FileHandle(forWritingAtPath: target.path) else { throw CLIError("cannot write \(target.path)") }
            defer { try? handle.close() }
            var total = 0
            for try await chunk in response.body {
                handle.write(Data(chunk.readableBytesView))
                total += chunk.readableBytes
            }
            return ["path": target.path, "bytes": total]
        }
    }
}

func listFiles(_ api: IngotClient, _ runID: String, _ path: String) async throws -> [[String: Any]] {
    var query = [("run_id", runID)]
    if !path.isEmpty { query.append(("path", path)) }
    let answer = try await api.call(.GET, "/api/2.0/mlflow/artifacts/list", query: query) as? [String: Any] ?? [:]
    return answer["files"] as? [[String: Any]] ?? []
}
