import Foundation
import IngotCatalog
import IngotLake

/// Wraps a statement's resolver and remembers the tables it writes or creates, so the runner can
/// tell the catalog's commit listener (data quality monitors) once the statement has committed.
final class CommitRecordingResolver: TableResolver, @unchecked Sendable {
    let base: any TableResolver
    private let lock = NSLock()
    private var written: Set<String> = []

    init(base: any TableResolver) { self.base = base }

    var writtenTables: [TableName] {
        lock.withLock { written.sorted() }.compactMap { try? TableName(parsing: $0) }
    }

    func authorize(_ name: SQLTableName, _ access: SQLTableAccess) async throws {
        try await base.authorize(name, access)
        if access == .write || access == .create { _ = lock.withLock { written.insert("\(name.catalog).\(name.schema).\(name.table)") } }
    }

    func table(_ name: SQLTableName) async throws -> LakeTable { try await base.table(name) }
    func catalogs() async throws -> [String] { try await base.catalogs() }
    func schemas(catalog: String) async throws -> [String] { try await base.schemas(catalog: catalog) }
    func tables(catalog: String, schema: String) async throws -> [String] { try await base.tables(catalog: catalog, schema: schema) }
    func tableCreated(_ name: SQLTableName, _ table: LakeTable) async throws { try await base.tableCreated(name, table) }
    func table(_ name: SQLTableName, location: String) async throws -> LakeTable { try await base.table(name, location: location) }
    func tableRegistered(_ name: SQLTableName, _ table: LakeTable) async throws { try await base.tableRegistered(name, table) }
    func applyMetadata(_ change: SQLMetadataChange) async throws { try await base.applyMetadata(change) }
    func view(_ name: SQLTableName) async throws -> SQLView? { try await base.view(name) }
    func viewOwnerResolver(_ owner: String) async throws -> any TableResolver { try await base.viewOwnerResolver(owner) }
    func dropView(_ name: SQLTableName) async throws -> Bool { try await base.dropView(name) }

    /// A view commits no data: it is not a written table.
    func createView(_ view: SQLView, replace: Bool) async throws {
        try await base.createView(view, replace: replace)
        _ = lock.withLock { written.remove("\(view.name.catalog).\(view.name.schema).\(view.name.table)") }
    }
}
