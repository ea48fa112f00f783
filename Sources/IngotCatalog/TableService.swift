import Foundation
import IngotCore
import IngotLake
import IngotStorage

/// Named tables: the namespace records joined to their Delta/Iceberg storage. Every write goes
/// through ``LakeTable`` (whose Delta commit is the commit point); the namespace row then records the
/// new version, so listings never open a log. A version committed by an outside writer (delta-rs,
/// Spark) is noticed on the next ``open(_:)`` and mirrored to Iceberg and to the namespace.
public struct TableService: Sendable {
    public let namespace: NamespaceStore
    public let objects: any ObjectStore
    /// Told about every recorded commit (data quality monitors subscribe here).
    public let commitListener: (any TableCommitListener)?

    public init(namespace: NamespaceStore, objects: any ObjectStore, commitListener: (any TableCommitListener)? = nil) {
        self.namespace = namespace
        self.objects = objects
        self.commitListener = commitListener
    }

    public enum WriteMode: String, Sendable, CaseIterable { case append, overwrite }

    /// What a table looks like now, for describe pages and `DESCRIBE DETAIL`.
    public struct Detail: Sendable {
        public let record: TableRecord
        public let schema: Schema
        public let partitionColumns: [String]
        public let version: Int64
        public let lastModified: Int64
        public let numFiles: Int
        public let sizeInBytes: Int64
        public let numRecords: Int64?
        public let properties: [String: String]
        public let minReaderVersion: Int
        public let minWriterVersion: Int
    }

    /// Where a managed table of this name keeps its files.
    public static func managedKey(_ name: TableName) -> String { "warehouse/\(name.catalog)/\(name.schema)/\(name.table)" }

    public func lakeTable(_ record: TableRecord) throws -> LakeTable {
        try LakeTable(store: objects, key: record.storageLocation)
    }

    /// Creates a managed table (Delta version 0, optionally with its first data in the same commit).
    @discardableResult
    public func create(
        _ name: TableName, schema: Schema, partitionColumns: [String] = [], properties: [String: String] = [:], comment: String? = nil,
        owner: String, data: BatchSource? = nil
    ) async throws -> TableRecord {
        if try await namespace.tableIfExists(name) != nil { throw CatalogError.alreadyExists("Table '\(name)' already exists") }
        _ = try await namespace.schema(catalog: name.catalog, name: name.schema)
        let key = Self.managedKey(name)
        let table = try LakeTable(store: objects, key: key)
        if try await table.exists() {
            // Files left by a table that was dropped from the namespace but not from storage.
            throw CatalogError.alreadyExists("Storage for '\(name)' already holds a table at \(key); register it instead")
        }
        let version = try await table.create(schema: schema, partitionColumns: partitionColumns, properties: properties, data: data)
        let stamp = Int64(Date().timeIntervalSince1970 * 1000)
        let record = TableRecord(
            name: name, tableID: IDGenerator.uuid(), tableType: .managed, dataSourceFormat: "DELTA", storageLocation: key, deltaVersion: version,
            icebergMetadataLocation: table.iceberg.metadataLocation(deltaVersion: version), comment: comment, owner: owner, properties: properties,
            createdAt: stamp, updatedAt: stamp)
        // Two creators racing past the existence check both reach LakeTable.create; the Delta log's
        // put-if-absent of version 0 lets only one through, so only one records the table.
        try await namespace.createTable(record)
        return record
    }

    /// Adopts a Delta table already in the object store (written by Ingot, delta-rs or Spark) as an
    /// external table. Its Iceberg metadata is brought up to date.
    @discardableResult
    public func register(_ name: TableName, key: String, comment: String? = nil, owner: String) async throws -> TableRecord {
        _ = try await namespace.schema(catalog: name.catalog, name: name.schema)
        try await checkLocationFree(key)
        let table = try LakeTable(store: objects, key: key)
        guard try await table.exists() else { throw CatalogError.notFound("No Delta table at '\(key)' (no _delta_log commits)") }
        let snapshot = try await table.snapshot()
        _ = try snapshot.schema
        try await table.iceberg.sync(log: table.log, base: snapshot)
        let stamp = Int64(Date().timeIntervalSince1970 * 1000)
        let record = TableRecord(
            name: name, tableID: snapshot.metadata.id, tableType: key == Self.managedKey(name) ? .managed : .external, dataSourceFormat: "DELTA",
            storageLocation: key, deltaVersion: snapshot.version, icebergMetadataLocation: table.iceberg.metadataLocation(deltaVersion: snapshot.version),
            comment: comment, owner: owner, properties: snapshot.metadata.configuration, createdAt: stamp, updatedAt: stamp)
        try await namespace.createTable(record)
        return record
    }

    /// Refuses a location that a registered table already uses (or that nests inside one, or holds one).
    public func checkLocationFree(_ key: String) async throws {
        if let other = try await namespace.tableOverlapping(location: key) {
            throw CatalogError.alreadyExists("Location '\(key)' overlaps the location of table \(other.name) ('\(other.storageLocation)')")
        }
    }

    /// Turns a location (a `file://` URI or path inside the data directory, or an object key) into
    /// an object key; anything outside the data directory is refused.
    public func objectKey(location: String) throws -> String {
        var path = location
        if path.hasPrefix("file://") { path = String(path.dropFirst(7)) }
        if path.hasPrefix("/") {
            guard let local = objects as? LocalObjectStore else { throw CatalogError.invalidParameter("storage_location must be an object key") }
            let root = local.root.standardizedFileURL.path
            let standardized = URL(fileURLWithPath: path).standardizedFileURL.path
            guard standardized.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
                throw CatalogError.invalidParameter("storage_location \(location) is outside the data directory")
            }
            path = String(standardized.dropFirst(root.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        }
        while path.hasSuffix("/") { path.removeLast() }
        do {
            _ = try ObjectKey.validate(path)
        } catch {
            throw CatalogError.invalidParameter("storage_location \(location) is not a valid location: \(error)")
        }
        return path
    }

    /// Records a table that a caller (the SQL engine's CREATE TABLE) has just created, at its managed
    /// location or at an explicit LOCATION (then it is external).
    public func adopt(_ name: TableName, table: LakeTable, owner: String) async throws {
        let snapshot = try await table.snapshot()
        let stamp = Int64(Date().timeIntervalSince1970 * 1000)
        let record = TableRecord(
            name: name, tableID: snapshot.metadata.id, tableType: table.key == Self.managedKey(name) ? .managed : .external,
            dataSourceFormat: "DELTA", storageLocation: table.key,
            deltaVersion: snapshot.version, icebergMetadataLocation: table.iceberg.metadataLocation(deltaVersion: snapshot.version), comment: nil,
            owner: owner, properties: snapshot.metadata.configuration, createdAt: stamp, updatedAt: stamp)
        try await namespace.createTable(record)
    }

    /// The table and its storage, with outside commits mirrored first.
    public func open(_ name: TableName) async throws -> (record: TableRecord, table: LakeTable) {
        var record = try await namespace.table(name)
        let table = try lakeTable(record)
        let latest = try await table.log.latestVersion()
        let mirrored = try await table.iceberg.latestMetadataVersion()
        if let latest, latest != record.deltaVersion || mirrored != latest + 1 {
            try await table.iceberg.sync(log: table.log)
            try await namespace.recordVersion(name, deltaVersion: latest, icebergMetadataLocation: table.iceberg.metadataLocation(deltaVersion: latest))
            let noticed = record.deltaVersion.map { latest > $0 } ?? true
            record.deltaVersion = latest
            record.icebergMetadataLocation = table.iceberg.metadataLocation(deltaVersion: latest)
            if noticed { await commitListener?.tableCommitted(name) }
        }
        return (record, table)
    }

    /// Records a version a caller committed through the ``LakeTable`` it got from ``open(_:)``.
    public func committed(_ name: TableName, table: LakeTable, version: Int64) async throws {
        try await namespace.recordVersion(name, deltaVersion: version, icebergMetadataLocation: table.iceberg.metadataLocation(deltaVersion: version))
        await commitListener?.tableCommitted(name)
    }

    /// Loads a file into a table as one atomic commit, creating the table (version 0, with the file's
    /// schema) when it does not exist. Returns the version and whether the table was created.
    public func ingest(
        _ name: TableName, file: IngestFile, mode: WriteMode, owner: String, progress: (@Sendable (Int64) -> Void)? = nil
    ) async throws -> (version: Int64, created: Bool) {
        if try await namespace.tableIfExists(name) == nil {
            let record = try await create(name, schema: file.schema, owner: owner, data: file.batches(progress: progress))
            return (record.deltaVersion ?? 0, true)
        }
        let (_, table) = try await open(name)
        let source = file.batches(progress: progress)
        let version = mode == .append ? try await table.append(source) : try await table.overwrite(source)
        try await committed(name, table: table, version: version)
        return (version, false)
    }

    public func detail(_ name: TableName) async throws -> Detail {
        let (record, table) = try await open(name)
        let snapshot = try await table.snapshot()
        var records: Int64? = 0
        for add in snapshot.files {
            if let stats = add.stats, let data = stats.data(using: .utf8),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let n = object["numRecords"] as? NSNumber
            {
                records = records.map { $0 + n.int64Value }
            } else {
                records = nil
            }
        }
        return Detail(
            record: record, schema: try snapshot.schema, partitionColumns: snapshot.metadata.partitionColumns, version: snapshot.version,
            lastModified: snapshot.timestamp, numFiles: snapshot.files.count, sizeInBytes: snapshot.files.reduce(0) { $0 + $1.size },
            numRecords: records, properties: snapshot.metadata.configuration, minReaderVersion: snapshot.proto.minReaderVersion,
            minWriterVersion: snapshot.proto.minWriterVersion)
    }

    public func history(_ name: TableName) async throws -> [DeltaCommit] {
        try await open(name).table.history()
    }

    /// The first `limit` rows of a version; reads only as many row groups as it needs.
    public func preview(_ name: TableName, version: TableVersion = .latest, limit: Int) async throws -> (schema: Schema, batches: [RecordBatch]) {
        let (_, table) = try await open(name)
        let schema = try await table.snapshot(version).schema
        var batches: [RecordBatch] = []
        var remaining = limit
        struct Enough: Error {}
        do {
            try await table.read(version) { batch in
                guard remaining > 0 else { throw Enough() }
                let taken = batch.numRows <= remaining ? batch : try TableBatches.take(batch, Array(0..<remaining))
                batches.append(taken)
                remaining -= taken.numRows
                if remaining <= 0 { throw Enough() }
            }
        } catch is Enough {}
        return (schema, batches)
    }

    /// Compacts small files (per partition) toward `targetFileSize`; a commit with `dataChange: false`.
    public func optimize(_ name: TableName, targetFileSize: Int64? = nil) async throws -> TableChange {
        let (_, table) = try await open(name)
        let change = try await table.optimize(targetFileSize: targetFileSize ?? 128 * 1024 * 1024)
        if change.committed { try await committed(name, table: table, version: change.version) }
        return change
    }

    /// Deletes data files no version within `retentionHours` needs (default 7 days; shorter only
    /// with `force`, as Delta's retentionDurationCheck). Returns the deleted (or, dry run, deletable) keys.
    public func vacuum(_ name: TableName, retentionHours: Double? = nil, dryRun: Bool = false, force: Bool = false) async throws -> [String] {
        let (_, table) = try await open(name)
        return try await table.vacuum(retention: (retentionHours ?? 168) * 3600, dryRun: dryRun, enforceRetentionDuration: !force)
    }

    /// Removes the table from the namespace; a managed table's files are deleted too. `replacing`: the
    /// table is about to be created again under its name (a pipeline's full refresh), so its data quality
    /// monitor stays.
    public func drop(_ name: TableName, replacing: Bool = false) async throws {
        let record = try await namespace.deleteTable(name, replacing: replacing)
        try await removeManagedFiles(of: [record])
    }

    /// Deletes a schema (with `force`, everything in it) and then the files of the managed tables that
    /// went with it, as dropping each table would; external tables' files stay. Returns those tables.
    @discardableResult
    public func deleteSchema(catalog: String, name: String, force: Bool = false) async throws -> [TableRecord] {
        let dropped = try await namespace.deleteSchema(catalog: catalog, name: name, force: force)
        try await removeManagedFiles(of: dropped)
        return dropped
    }

    /// Deletes a catalog (with `force`, everything in it) and then its managed tables' files.
    @discardableResult
    public func deleteCatalog(_ name: String, force: Bool = false) async throws -> [TableRecord] {
        let dropped = try await namespace.deleteCatalog(name, force: force)
        try await removeManagedFiles(of: dropped)
        return dropped
    }

    func removeManagedFiles(of records: [TableRecord]) async throws {
        for record in records where record.tableType == .managed {
            try await objects.deleteAll(prefix: record.storageLocation + "/")
        }
    }

    /// Brings every table's Iceberg metadata and namespace record up to its Delta log (start-up: a
    /// crash may have left a commit without its mirror). Returns the tables that failed, with why.
    public func syncAll() async -> [(TableName, String)] {
        var failures: [(TableName, String)] = []
        do {
            for catalog in try await namespace.catalogs() {
                for schema in try await namespace.schemas(catalog: catalog.name) {
                    for record in try await namespace.tables(catalog: catalog.name, schema: schema.name) {
                        do { _ = try await open(record.name) } catch { failures.append((record.name, "\(error)")) }
                    }
                }
            }
        } catch {
            failures.append((try! TableName(catalog: "main", schema: "default", table: "namespace"), "\(error)"))
        }
        return failures
    }
}
