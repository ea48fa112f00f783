import GRDB
import IngotStorage

/// The registry module's schema migrations, registered in order by the composition root.
/// Append new migrations; never edit one that has shipped.
public enum RegistryModule {
    public static let migrations: [Migration] = [
        Migration("registry.v1") { db in try RegistrySchema.createV1(db) }
    ]
}

/// The registry tables. Registered models get an integer surrogate key (`model_pk`) so a rename
/// touches one row; every child row cascades from it. Deleted versions keep their row (stage
/// `Deleted_Internal`, source redacted) so version numbers are never reused, as in MLflow.
enum RegistrySchema {
    static func createV1(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE registry_models (
                    model_pk INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    creation_time INTEGER NOT NULL,
                    last_updated_time INTEGER NOT NULL,
                    description TEXT,
                    user_id TEXT
                );
                CREATE TABLE registry_model_tags (
                    model_pk INTEGER NOT NULL REFERENCES registry_models(model_pk) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (model_pk, key)
                ) WITHOUT ROWID;
                CREATE TABLE registry_versions (
                    model_pk INTEGER NOT NULL REFERENCES registry_models(model_pk) ON DELETE CASCADE,
                    version INTEGER NOT NULL,
                    creation_time INTEGER NOT NULL,
                    last_updated_time INTEGER NOT NULL,
                    user_id TEXT,
                    current_stage TEXT NOT NULL DEFAULT 'None',
                    description TEXT,
                    source TEXT NOT NULL,
                    storage_location TEXT NOT NULL,
                    artifact_location TEXT NOT NULL,
                    run_id TEXT,
                    run_link TEXT,
                    model_id TEXT,
                    experiment_id TEXT,
                    status TEXT NOT NULL,
                    status_message TEXT,
                    PRIMARY KEY (model_pk, version)
                ) WITHOUT ROWID;
                CREATE INDEX registry_versions_by_run ON registry_versions (run_id);
                CREATE INDEX registry_versions_by_updated ON registry_versions (last_updated_time);
                CREATE TABLE registry_version_tags (
                    model_pk INTEGER NOT NULL,
                    version INTEGER NOT NULL,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (model_pk, version, key),
                    FOREIGN KEY (model_pk, version) REFERENCES registry_versions(model_pk, version) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE TABLE registry_aliases (
                    model_pk INTEGER NOT NULL REFERENCES registry_models(model_pk) ON DELETE CASCADE,
                    alias TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    PRIMARY KEY (model_pk, alias)
                ) WITHOUT ROWID;
                CREATE TABLE registry_version_datasets (
                    model_pk INTEGER NOT NULL,
                    version INTEGER NOT NULL,
                    position INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    source_type TEXT NOT NULL,
                    source TEXT NOT NULL,
                    context TEXT,
                    PRIMARY KEY (model_pk, version, position),
                    FOREIGN KEY (model_pk, version) REFERENCES registry_versions(model_pk, version) ON DELETE CASCADE
                ) WITHOUT ROWID;

                CREATE TABLE registry_policies (
                    model_pk INTEGER PRIMARY KEY REFERENCES registry_models(model_pk) ON DELETE CASCADE,
                    protected_aliases TEXT NOT NULL,
                    protected_stages TEXT NOT NULL,
                    required_approvals INTEGER NOT NULL,
                    allow_self_approval INTEGER NOT NULL,
                    updated_by TEXT,
                    last_updated_time INTEGER NOT NULL
                );
                CREATE TABLE registry_requests (
                    request_id TEXT PRIMARY KEY NOT NULL,
                    model_pk INTEGER NOT NULL REFERENCES registry_models(model_pk) ON DELETE CASCADE,
                    version INTEGER NOT NULL,
                    to_stage TEXT,
                    alias TEXT,
                    archive_existing INTEGER NOT NULL DEFAULT 0,
                    status TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    comment TEXT,
                    creation_time INTEGER NOT NULL,
                    last_updated_time INTEGER NOT NULL
                );
                CREATE INDEX registry_requests_by_version ON registry_requests (model_pk, version, status);
                CREATE TABLE registry_request_approvals (
                    request_id TEXT NOT NULL REFERENCES registry_requests(request_id) ON DELETE CASCADE,
                    user_id TEXT NOT NULL,
                    creation_time INTEGER NOT NULL,
                    PRIMARY KEY (request_id, user_id)
                ) WITHOUT ROWID;
                CREATE TABLE registry_activities (
                    activity_id TEXT PRIMARY KEY NOT NULL,
                    model_pk INTEGER NOT NULL REFERENCES registry_models(model_pk) ON DELETE CASCADE,
                    version INTEGER NOT NULL,
                    activity_type TEXT NOT NULL,
                    from_stage TEXT,
                    to_stage TEXT,
                    alias TEXT,
                    user_id TEXT NOT NULL,
                    comment TEXT,
                    system_comment TEXT,
                    request_id TEXT,
                    creation_time INTEGER NOT NULL
                );
                CREATE INDEX registry_activities_by_version ON registry_activities (model_pk, version, creation_time);
                CREATE TABLE registry_comments (
                    comment_id TEXT PRIMARY KEY NOT NULL,
                    model_pk INTEGER NOT NULL REFERENCES registry_models(model_pk) ON DELETE CASCADE,
                    version INTEGER NOT NULL,
                    user_id TEXT NOT NULL,
                    comment TEXT NOT NULL,
                    creation_time INTEGER NOT NULL,
                    last_updated_time INTEGER NOT NULL
                );
                CREATE INDEX registry_comments_by_version ON registry_comments (model_pk, version, creation_time);

                CREATE TABLE registry_webhooks (
                    webhook_id TEXT PRIMARY KEY NOT NULL,
                    model_name TEXT,
                    events TEXT NOT NULL,
                    status TEXT NOT NULL,
                    description TEXT,
                    url TEXT NOT NULL,
                    secret TEXT,
                    authorization TEXT,
                    enable_ssl_verification INTEGER NOT NULL DEFAULT 1,
                    creation_time INTEGER NOT NULL,
                    last_updated_time INTEGER NOT NULL
                );
                CREATE TABLE registry_webhook_deliveries (
                    delivery_id TEXT PRIMARY KEY NOT NULL,
                    webhook_id TEXT NOT NULL REFERENCES registry_webhooks(webhook_id) ON DELETE CASCADE,
                    event TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_time INTEGER NOT NULL,
                    last_status_code INTEGER,
                    last_error TEXT,
                    creation_time INTEGER NOT NULL,
                    last_attempt_time INTEGER
                );
                CREATE INDEX registry_webhook_deliveries_due ON registry_webhook_deliveries (status, next_attempt_time);
                CREATE INDEX registry_webhook_deliveries_by_webhook ON registry_webhook_deliveries (webhook_id, creation_time);
                """)
    }
}
