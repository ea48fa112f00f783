import Foundation
import Hummingbird
import IngotCore

/// `POST /api/2.0/ingot/backup {"to": "/path"}` (administrators only, RouteGuard.swift): the server
/// writes an online backup of its data directory to a folder on its host (`ingot backup --server`).
/// The backup runs off the request's event loop; one at a time.
struct BackupController {
    let dataDirectory: URL
    static let running = RunningFlag()

    final class RunningFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var busy = false
        func claim() -> Bool { lock.withLock { if busy { return false }; busy = true; return true } }
        func release() { lock.withLock { busy = false } }
    }

    func addRoutes(to router: Router<IngotRequestContext>) {
        router.post("/api/2.0/ingot/backup") { request, context in
            let body = try await JobsController.body(request, context)
            guard let to = body["to"] as? String, to.hasPrefix("/") else {
                throw APIErrorResponse(.invalidParameterValue, "'to' must be an absolute path of a folder on the server's host")
            }
            guard Self.running.claim() else { throw APIErrorResponse(.resourceConflict, "a backup is already running") }
            defer { Self.running.release() }
            let backup = DataBackup(dataDirectory: dataDirectory)
            let manifest: BackupManifest
            do {
                manifest = try await Task.detached { try backup.run(to: URL(fileURLWithPath: to)) }.value
            } catch let e as BackupError {
                throw APIErrorResponse(.invalidParameterValue, e.description)
            }
            return try JobsController.json([
                "folder": URL(fileURLWithPath: to).standardizedFileURL.path, "files": manifest.files.count + 1, "bytes": manifest.totalBytes,
                "tables": manifest.tables.count, "skipped_tables": manifest.tables.filter { $0.skipped != nil }.map(\.name), "created_at": manifest.createdAt,
            ])
        }
    }
}
