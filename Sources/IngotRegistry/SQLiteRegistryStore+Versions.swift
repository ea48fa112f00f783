import Foundation
import GRDB
import IngotCore

extension SQLiteRegistryStore {
    public func createModelVersion(_ draft: NewModelVersion) async throws -> ModelVersion {
        try await writer.write { db in
            let pk = try Self.modelPK(db, draft.name)
            let now = Clock.nowMillis()
            // Deleted versions keep their row, so numbers are never reused.
            let version = (try Int64.fetchOne(db, sql: "SELECT MAX(version) FROM registry_versions WHERE model_pk = ?", arguments: [pk]) ?? 0) + 1
            try db.execute(
                sql: """
                    INSERT INTO registry_versions (model_pk, version, creation_time, last_updated_time, user_id, current_stage, description,
                        source, storage_location, artifact_location, run_id, run_link, model_id, experiment_id, status)
                    VALUES (?, ?, ?, ?, ?, 'None', ?, ?, ?, ?, ?, ?, ?, ?, 'READY')
                    """,
                arguments: [
                    pk, version, now, now, draft.userID, draft.description, draft.source, draft.storageLocation, draft.artifactLocation,
                    draft.runID, draft.runLink, draft.modelID, draft.experimentID,
                ])
            for tag in draft.tags {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO registry_version_tags (model_pk, version, key, value) VALUES (?, ?, ?, ?)",
                    arguments: [pk, version, tag.key, tag.value])
            }
            for (i, ds) in draft.datasets.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO registry_version_datasets (model_pk, version, position, name, digest, source_type, source, context)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [pk, version, i, ds.name, ds.digest, ds.source_type, ds.source, ds.context])
            }
            try Self.touchModel(db, pk, now)
            return try Self.fetchVersion(db, name: draft.name, version: version)
        }
    }

    public func getModelVersion(name: String, version: Int64) async throws -> ModelVersion {
        try await writer.read { db in try Self.fetchVersion(db, name: name, version: version) }
    }

    public func getModelVersion(name: String, alias: String) async throws -> ModelVersion {
        try await writer.read { db in
            let pk = try Self.modelPK(db, name)
            guard
                let version = try Int64.fetchOne(
                    db, sql: "SELECT version FROM registry_aliases WHERE model_pk = ? AND alias = ?", arguments: [pk, alias])
            else { throw RegistryError.invalidParameter("Registered model alias \(alias) not found.") }
            return try Self.fetchVersion(db, name: name, version: version)
        }
    }

    public func updateModelVersion(name: String, version: Int64, description: String?) async throws -> ModelVersion {
        try await writer.write { db in
            let pk = try Self.modelPK(db, name)
            try Self.versionExists(db, pk, name, version)
            try db.execute(
                sql: "UPDATE registry_versions SET description = ?, last_updated_time = ? WHERE model_pk = ? AND version = ?",
                arguments: [description, Clock.nowMillis(), pk, version])
            return try Self.fetchVersion(db, name: name, version: version)
        }
    }

    public func deleteModelVersion(name: String, version: Int64) async throws {
        try await writer.write { db in
            let pk = try Self.modelPK(db, name)
            try Self.versionExists(db, pk, name, version)
            let now = Clock.nowMillis()
            try db.execute(sql: "DELETE FROM registry_aliases WHERE model_pk = ? AND version = ?", arguments: [pk, version])
            try db.execute(
                sql: """
                    UPDATE registry_versions SET current_stage = ?, last_updated_time = ?, description = NULL, user_id = NULL,
                        source = 'REDACTED-SOURCE-PATH', storage_location = 'REDACTED-SOURCE-PATH', run_id = 'REDACTED-RUN-ID',
                        run_link = 'REDACTED-RUN-LINK', status_message = NULL
                    WHERE model_pk = ? AND version = ?
                    """, arguments: [Self.deletedStage, now, pk, version])
            try db.execute(
                sql: "UPDATE registry_requests SET status = 'CANCELLED', last_updated_time = ? WHERE model_pk = ? AND version = ? AND status = 'PENDING'",
                arguments: [now, pk, version])
            try Self.touchModel(db, pk, now)
        }
    }

    public func searchModelVersions(filter: RegistryFilter, orderBy: [String], maxResults: Int, pageToken: String?) async throws
        -> RegistryPage<ModelVersion>
    {
        var compiled = try RegistrySQL.compile(filter, target: .versions)
        let order = try RegistrySQL.versionsOrder(orderBy)
        let offset = try RegistrySQL.offset(fromToken: pageToken)
        compiled.sql.append("v.current_stage != '\(Self.deletedStage)'")
        let clause = compiled
        return try await writer.read { db in
            let versions = try Self.fetchVersions(
                db, where: clause.sql.joined(separator: " AND "), arguments: clause.arguments + [(maxResults + 1).databaseValue, offset.databaseValue],
                suffix: "ORDER BY \(order) LIMIT ? OFFSET ?")
            return RegistryPage(
                items: Array(versions.prefix(maxResults)),
                nextPageToken: versions.count > maxResults ? RegistrySQL.pageToken(offset: offset + maxResults) : nil)
        }
    }

    public func setModelVersionTag(name: String, version: Int64, key: String, value: String?) async throws {
        try await writer.write { db in
            let pk = try Self.modelPK(db, name)
            try Self.versionExists(db, pk, name, version)
            if let value {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO registry_version_tags (model_pk, version, key, value) VALUES (?, ?, ?, ?)",
                    arguments: [pk, version, key, value])
            } else {
                try db.execute(
                    sql: "DELETE FROM registry_version_tags WHERE model_pk = ? AND version = ? AND key = ?", arguments: [pk, version, key])
            }
        }
    }

    public func transitionStage(name: String, version: Int64, stage: ModelStage, archiveExisting: Bool, userID: String, comment: String?)
        async throws -> ModelVersion
    {
        try await writer.write { db in
            let pk = try Self.modelPK(db, name)
            try Self.versionExists(db, pk, name, version)
            try Self.applyTransition(
                db, pk: pk, version: version, stage: stage, archiveExisting: archiveExisting, userID: userID, comment: comment, requestID: nil,
                now: Clock.nowMillis())
            return try Self.fetchVersion(db, name: name, version: version)
        }
    }

    static func applyTransition(
        _ db: Database, pk: Int64, version: Int64, stage: ModelStage, archiveExisting: Bool, userID: String, comment: String?, requestID: String?,
        now: Int64
    ) throws {
        let from = try String.fetchOne(
            db, sql: "SELECT current_stage FROM registry_versions WHERE model_pk = ? AND version = ?", arguments: [pk, version])
        if archiveExisting {
            let others = try Int64.fetchAll(
                db, sql: "SELECT version FROM registry_versions WHERE model_pk = ? AND version != ? AND current_stage = ?",
                arguments: [pk, version, stage.rawValue])
            for other in others {
                try db.execute(
                    sql: "UPDATE registry_versions SET current_stage = 'Archived', last_updated_time = ? WHERE model_pk = ? AND version = ?",
                    arguments: [now, pk, other])
                _ = try recordActivity(
                    db, pk: pk, version: other, type: "SYSTEM_TRANSITION", from: stage.rawValue, to: ModelStage.archived.rawValue, userID: userID,
                    systemComment: "archived because version \(version) moved to \(stage.rawValue)", requestID: requestID, now: now)
            }
        }
        try db.execute(
            sql: "UPDATE registry_versions SET current_stage = ?, last_updated_time = ? WHERE model_pk = ? AND version = ?",
            arguments: [stage.rawValue, now, pk, version])
        try touchModel(db, pk, now)
        _ = try recordActivity(
            db, pk: pk, version: version, type: "APPLIED_TRANSITION", from: from, to: stage.rawValue, userID: userID, comment: comment,
            requestID: requestID, now: now)
    }

    public func downloadURI(name: String, version: Int64) async throws -> String {
        try await writer.read { db in
            let pk = try Self.modelPK(db, name)
            try Self.versionExists(db, pk, name, version)
            return try String.fetchOne(
                db, sql: "SELECT storage_location FROM registry_versions WHERE model_pk = ? AND version = ?", arguments: [pk, version]) ?? ""
        }
    }

    public func lineage(name: String, version: Int64) async throws -> ModelVersionLineage {
        try await writer.read { db in
            let pk = try Self.modelPK(db, name)
            try Self.versionExists(db, pk, name, version)
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT source, artifact_location, run_id, model_id, experiment_id FROM registry_versions WHERE model_pk = ? AND version = ?",
                    arguments: [pk, version])
            else { throw RegistryError.versionNotFound(name, version) }
            let datasets = try Row.fetchAll(
                db,
                sql: "SELECT name, digest, source_type, source, context FROM registry_version_datasets WHERE model_pk = ? AND version = ? ORDER BY position",
                arguments: [pk, version]
            ).map { LineageDataset(name: $0["name"], digest: $0["digest"], source_type: $0["source_type"], source: $0["source"], context: $0["context"]) }
            return ModelVersionLineage(
                name: name, version: String(version), source: row["source"], artifact_location: row["artifact_location"], run_id: row["run_id"],
                model_id: row["model_id"], experiment_id: row["experiment_id"], datasets: datasets)
        }
    }
}
