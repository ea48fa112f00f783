import Foundation

/// Fetches a registered model version's files from a running Ingot (or MLflow) server through the
/// registry and artifact REST APIs, for `ingot models serve --tracking-uri`.
struct ModelDownload {
    let client: IngotClient

    /// The version number and artifact URI of `models:/name/version` or `models:/name@alias`.
    func resolve(name: String, version: Int?, alias: String?) async throws -> (Int, String) {
        var number = version
        if let alias {
            let answer =
                try await client.call(.GET, "/api/2.0/mlflow/registered-models/alias", query: [("name", name), ("alias", alias)]) as? [String: Any]
            guard let v = ((answer?["model_version"] as? [String: Any])?["version"] as? String).flatMap(Int.init) else {
                throw CLIError("alias \(alias) of model \(name) has no version")
            }
            number = v
        }
        guard let number else { throw CLIError("give a version or an alias") }
        let uri = try await client.call(
            .GET, "/api/2.0/mlflow/model-versions/get-download-uri", query: [("name", name), ("version", String(number))])
        guard let artifactURI = (uri as? [String: Any])?["artifact_uri"] as? String else {
            throw CLIError("the server gave no artifact URI for \(name) v\(number)")
        }
        return (number, artifactURI)
    }

    /// Downloads every file under `artifactURI` (an `mlflow-artifacts:` URI) into `directory`.
    func download(artifactURI: String, to directory: URL) async throws {
        guard artifactURI.hasPrefix("mlflow-artifacts:") else {
            throw CLIError("artifact URI \(artifactURI) is not served by the tracking server (expected mlflow-artifacts:/…)")
        }
        var path = String(artifactURI.dropFirst("mlflow-artifacts:".count))
        if path.hasPrefix("//") {
            path = String(path.dropFirst(2))
            path = path.firstIndex(of: "/").map { String(path[$0...]) } ?? ""
        }
        while path.hasPrefix("/") { path.removeFirst() }
        try await fetch(path, into: directory, depth: 0)
    }

    static func encode(_ path: String) -> String {
        path.split(separator: "/").map {
            String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? String($0)
        }
        .joined(separator: "/")
    }

    private func fetch(_ path: String, into directory: URL, depth: Int) async throws {
        guard depth < 32 else { throw CLIError("artifact tree is too deep at \(path)") }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let listing = try await client.call(.GET, "/api/2.0/mlflow-artifacts/artifacts", query: [("path", path)]) as? [String: Any] ?? [:]
        for file in listing["files"] as? [[String: Any]] ?? [] {
            guard let full = file["path"] as? String else { continue }
            let name = full.split(separator: "/").last.map(String.init) ?? full
            guard !name.isEmpty, name != ".", name != "..", !name.contains("\0") else { throw CLIError("refusing artifact path '\(full)'") }
            let child = path.isEmpty ? name : path + "/" + name
            if file["is_dir"] as? Bool == true {
                try await fetch(child, into: directory.appendingPathComponent(name), depth: depth + 1)
            } else {
                let bytes = try await client.raw(.GET, "/api/2.0/mlflow-artifacts/artifacts/" + Self.encode(child))
                try Data(bytes).write(to: directory.appendingPathComponent(name))
            }
        }
    }
}
