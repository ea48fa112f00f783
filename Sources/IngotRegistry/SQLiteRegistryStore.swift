import Foundation
import GRDB
import IngotCore
import IngotStorage

/// ``RegistryStore`` on the shared SQLite metadata database.
public struct SQLiteRegistryStore: RegistryStore {
    let writer: any DatabaseWriter
    static let deletedStage = "Deleted_Internal"

    public init(metadata: MetadataStore) {
        self.writer = metadata.writer
    }

    // MARK: - Helpers shared by the extensions

    static func modelPK(_ db: Database, _ name: String) throws -> Int64 {
        guard let pk = try Int64.fetchOne(db, sql: "SELECT model_pk FROM registry_models WHERE name = ?", arguments: [name]) else {
            throw RegistryError.modelNotFound(name)
        }
        return pk
    }

    /// The primary key of a live (not deleted) version.
    static func versionExists(_ db: Database, _ pk: Int64, _ name: String, _ version: Int64) throws {
        let found = try Bool.fetchOne(
            db, sql: "SELECT 1 FROM registry_versions WHERE model_pk = ? AND version = ? AND current_stage != ?",
            arguments: [pk, version, deletedStage]) ?? false
        if !found { throw RegistryError.versionNotFound(name, version) }
    }

    static func touchModel(_ db: Database, _ pk: Int64, _ now: Int64) throws {
        try db.execute(sql: "UPDATE registry_models SET last_updated_time = ? WHERE model_pk = ?", arguments: [now, pk])
    }

    static let versionColumns = """
        m.name, v.model_pk, v.version, v.creation_time, v.last_updated_time, v.user_id, v.current_stage, v.description,
        v.source, v.run_id, v.run_link, v.model_id, v.status, v.status_message
        """

    /// Loads versions (with tags and aliases) for a query over `registry_versions v JOIN registry_models m`.
    static func fetchVersions(_ db: Database, where whereSQL: String, arguments: [any DatabaseValueConvertible], suffix: String = "")
        throws -> [ModelVersion]
    {
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT \(versionColumns) FROM registry_versions v JOIN registry_models m ON m.model_pk = v.model_pk WHERE \(whereSQL) \(suffix)",
            arguments: StatementArguments(arguments.map { $0.databaseValue }))
        if rows.isEmpty { return [] }
        let pks = Array(Set(rows.map { $0["model_pk"] as Int64 }))
        let marks = Array(repeating: "?", count: pks.count).joined(separator: ",")
        var tags: [String: [RegistryTag]] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT model_pk, version, key, value FROM registry_version_tags WHERE model_pk IN (\(marks)) ORDER BY key",
            arguments: StatementArguments(pks))
        {
            tags["\(row["model_pk"] as Int64)/\(row["version"] as Int64)", default: []].append(RegistryTag(key: row["key"], value: row["value"]))
        }
        var aliases: [String: [String]] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT model_pk, version, alias FROM registry_aliases WHERE model_pk IN (\(marks)) ORDER BY alias",
            arguments: StatementArguments(pks))
        {
            aliases["\(row["model_pk"] as Int64)/\(row["version"] as Int64)", default: []].append(row["alias"])
        }
        return rows.map { row in
            let key = "\(row["model_pk"] as Int64)/\(row["version"] as Int64)"
            return ModelVersion(
                name: row["name"], version: String(row["version"] as Int64), creation_timestamp: row["creation_time"],
                last_updated_timestamp: row["last_updated_time"], user_id: row["user_id"], current_stage: row["current_stage"],
                description: row["description"], source: row["source"], run_id: row["run_id"], status: row["status"],
                status_message: row["status_message"], tags: tags[key] ?? [], run_link: row["run_link"], aliases: aliases[key] ?? [],
                model_id: row["model_id"])
        }
    }

    static func fetchVersion(_ db: Database, name: String, version: Int64) throws -> ModelVersion {
        let pk = try modelPK(db, name)
        guard
            let mv = try fetchVersions(
                db, where: "v.model_pk = ? AND v.version = ? AND v.current_stage != ?", arguments: [pk, version, deletedStage]
            ).first
        else { throw RegistryError.versionNotFound(name, version) }
        return mv
    }

    /// Loads registered models (tags, aliases, latest version per stage) for the given primary keys, in that order.
    static func fetchModels(_ db: Database, pks: [Int64]) throws -> [RegisteredModel] {
        if pks.isEmpty { return [] }
        let marks = Array(repeating: "?", count: pks.count).joined(separator: ",")
        let args = StatementArguments(pks)
        var byPK: [Int64: RegisteredModel] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT model_pk, name, creation_time, last_updated_time, description FROM registry_models WHERE model_pk IN (\(marks))",
            arguments: args)
        {
            byPK[row["model_pk"]] = RegisteredModel(
                name: row["name"], creation_timestamp: row["creation_time"], last_updated_timestamp: row["last_updated_time"],
                description: row["description"], latest_versions: [], tags: [], aliases: [])
        }
        for row in try Row.fetchAll(
            db, sql: "SELECT model_pk, key, value FROM registry_model_tags WHERE model_pk IN (\(marks)) ORDER BY key", arguments: args)
        {
            byPK[row["model_pk"]]?.tags.append(RegistryTag(key: row["key"], value: row["value"]))
        }
        for row in try Row.fetchAll(
            db, sql: "SELECT model_pk, alias, version FROM registry_aliases WHERE model_pk IN (\(marks)) ORDER BY alias", arguments: args)
        {
            byPK[row["model_pk"]]?.aliases.append(RegisteredModelAlias(alias: row["alias"], version: String(row["version"] as Int64)))
        }
        let latest = try fetchVersions(
            db,
            where: """
                v.model_pk IN (\(marks)) AND v.current_stage != '\(deletedStage)'
                AND v.version = (SELECT MAX(v2.version) FROM registry_versions v2 WHERE v2.model_pk = v.model_pk AND v2.current_stage = v.current_stage)
                """, arguments: pks, suffix: "ORDER BY v.version")
        let pkByName = Dictionary(uniqueKeysWithValues: byPK.map { ($0.value.name, $0.key) })
        for mv in latest {
            if let pk = pkByName[mv.name] { byPK[pk]?.latest_versions.append(mv) }
        }
        return pks.compactMap { byPK[$0] }
    }

    static func fetchModel(_ db: Database, name: String) throws -> RegisteredModel {
        let pk = try modelPK(db, name)
        guard let model = try fetchModels(db, pks: [pk]).first else { throw RegistryError.modelNotFound(name) }
        return model
    }

    static func recordActivity(
        _ db: Database, pk: Int64, version: Int64, type: String, from: String? = nil, to: String? = nil, alias: String? = nil, userID: String,
        comment: String? = nil, systemComment: String? = nil, requestID: String? = nil, now: Int64
    ) throws -> String {
        let id = IDGenerator.hex32()
        try db.execute(
            sql: """
                INSERT INTO registry_activities (activity_id, model_pk, version, activity_type, from_stage, to_stage, alias, user_id, comment,
                    system_comment, request_id, creation_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, pk, version, type, from, to, alias, userID, comment, systemComment, requestID, now])
        return id
    }

    static func isUniqueViolation(_ error: any Error) -> Bool {
        if let e = error as? DatabaseError { return e.resultCode == .SQLITE_CONSTRAINT }
        return false
    }

    // MARK: - Registered models

    public func createRegisteredModel(name: String, tags: [RegistryTag], description: String?, userID: String?) async throws
        -> RegisteredModel
    {
        try await writer.write { db in
            let now = Clock.nowMillis()
            do {
                try db.execute(
                    sql: "INSERT INTO registry_models (name, creation_time, last_updated_time, description, user_id) VALUES (?, ?, ?, ?, ?)",
                    arguments: [name, now, now, description, userID])
            } catch where Self.isUniqueViolation(error) {
                throw RegistryError.alreadyExists("Registered Model (name=\(name)) already exists.")
            }
            let pk = db.lastInsertedRowID
            for tag in tags {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO registry_model_tags (model_pk, key, value) VALUES (?, ?, ?)", arguments: [pk, tag.key, tag.value])
            }
            return try Self.fetchModel(db, name: name)
        }
    }

    public func getRegisteredModel(name: String) async throws -> RegisteredModel {
        try await writer.read { db in try Self.fetchModel(db, name: name) }
    }

    public func renameRegisteredModel(name: String, newName: String) async throws -> RegisteredModel {
        try await writer.write { db in
            let pk = try Self.modelPK(db, name)
            let now = Clock.nowMillis()
            do {
                try db.execute(sql: "UPDATE registry_models SET name = ?, last_updated_time = ? WHERE model_pk = ?", arguments: [newName, now, pk])
            } catch where Self.isUniqueViolation(error) {
                throw RegistryError.alreadyExists("Registered Model (name=\(newName)) already exists.")
            }
            try db.execute(sql: "UPDATE registry_versions SET last_updated_time = ? WHERE model_pk = ?", arguments: [now, pk])
            return try Self.fetchModel(db, name: newName)
        }
    }

    public func updateRegisteredModel(name: String, description: String?) async throws -> RegisteredModel {
        try await writer.write { db in
            let pk = try Self.modelPK(db, name)
            try db.execute(
                sql: "UPDATE registry_models SET description = ?, last_updated_time = ? WHERE model_pk = ?",
                arguments: [description, Clock.nowMillis(), pk])
            return try Self.fetchModel(db, name: name)
        }
    }

    public func deleteRegisteredModel(name: String) async throws {
        try await writer.write { db in
            let pk = try Self.modelPK(db, name)
            try db.execute(sql: "DELETE FROM registry_models WHERE model_pk = ?", arguments: [pk])
        }
    }

    public func searchRegisteredModels(filter: RegistryFilter, orderBy: [String], maxResults: Int, pageToken: String?) async throws
        -> RegistryPage<RegisteredModel>
    {
        let clause = try RegistrySQL.compile(filter, target: .models)
        let order = try RegistrySQL.modelsOrder(orderBy)
        let offset = try RegistrySQL.offset(fromToken: pageToken)
        return try await writer.read { db in
            let whereSQL = clause.sql.isEmpty ? "1" : clause.sql.joined(separator: " AND ")
            let pks = try Int64.fetchAll(
                db, sql: "SELECT m.model_pk FROM registry_models m WHERE \(whereSQL) ORDER BY \(order) LIMIT ? OFFSET ?",
                arguments: StatementArguments(clause.arguments + [(maxResults + 1).databaseValue, offset.databaseValue]))
            let page = Array(pks.prefix(maxResults))
            let models = try Self.fetchModels(db, pks: page)
            return RegistryPage(items: models, nextPageToken: pks.count > maxResults ? RegistrySQL.pageToken(offset: offset + maxResults) : nil)
        }
    }

    public func setRegisteredModelTag(name: String, key: String, value: String?) async throws {
        try await writer.write { db in
            let pk = try Self.modelPK(db, name)
            if let value {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO registry_model_tags (model_pk, key, value) VALUES (?, ?, ?)", arguments: [pk, key, value])
            } else {
                try db.execute(sql: "DELETE FROM registry_model_tags WHERE model_pk = ? AND key = ?", arguments: [pk, key])
            }
        }
    }

    public func setAlias(name: String, alias: String, version: Int64?, userID: String) async throws {
        try await writer.write { db in
            let pk = try Self.modelPK(db, name)
            let now = Clock.nowMillis()
            if let version {
                try Self.versionExists(db, pk, name, version)
                try Self.applyAlias(db, pk: pk, alias: alias, version: version, userID: userID, requestID: nil, now: now)
            } else if let old = try Int64.fetchOne(
                db, sql: "SELECT version FROM registry_aliases WHERE model_pk = ? AND alias = ?", arguments: [pk, alias])
            {
                try db.execute(sql: "DELETE FROM registry_aliases WHERE model_pk = ? AND alias = ?", arguments: [pk, alias])
                _ = try Self.recordActivity(db, pk: pk, version: old, type: "DELETED_ALIAS", alias: alias, userID: userID, now: now)
            }
        }
    }

    static func applyAlias(_ db: Database, pk: Int64, alias: String, version: Int64, userID: String, requestID: String?, now: Int64) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO registry_aliases (model_pk, alias, version) VALUES (?, ?, ?)", arguments: [pk, alias, version])
        _ = try recordActivity(db, pk: pk, version: version, type: "SET_ALIAS", alias: alias, userID: userID, requestID: requestID, now: now)
    }

    public func getLatestVersions(name: String, stages: [ModelStage]) async throws -> [ModelVersion] {
        try await writer.read { db in
            let model = try Self.fetchModel(db, name: name)
            let wanted = Set((stages.isEmpty ? ModelStage.allCases : stages).map(\.rawValue))
            return model.latest_versions.filter { wanted.contains($0.current_stage) }
        }
    }
}
