import GRDB
import IngotStorage

/// The identity module's schema. Append new migrations; never edit a shipped one.
public enum IdentityModule {
    public static let migrations: [Migration] = [
        Migration("identity.v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE identity_principals (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        kind TEXT NOT NULL CHECK (kind IN ('user', 'service_principal')),
                        display_name TEXT,
                        is_admin INTEGER NOT NULL DEFAULT 0,
                        active INTEGER NOT NULL DEFAULT 1,
                        password_hash TEXT,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE identity_groups (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE identity_group_members (
                        group_id INTEGER NOT NULL REFERENCES identity_groups(id) ON DELETE CASCADE,
                        principal_id INTEGER REFERENCES identity_principals(id) ON DELETE CASCADE,
                        member_group_id INTEGER REFERENCES identity_groups(id) ON DELETE CASCADE,
                        CHECK ((principal_id IS NULL) != (member_group_id IS NULL))
                    );
                    CREATE UNIQUE INDEX identity_group_members_unique
                        ON identity_group_members (group_id, COALESCE(principal_id, 0), COALESCE(member_group_id, 0));
                    CREATE TABLE identity_tokens (
                        id TEXT PRIMARY KEY NOT NULL,
                        principal_id INTEGER NOT NULL REFERENCES identity_principals(id) ON DELETE CASCADE,
                        token_hash TEXT NOT NULL UNIQUE,
                        comment TEXT,
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER
                    );
                    CREATE INDEX identity_tokens_principal ON identity_tokens (principal_id);
                    """)
        },
        Migration("identity.v2") { db in
            // The audit log: append-only (retention deletes by time), newest-first reads by id.
            try db.execute(
                sql: """
                    CREATE TABLE identity_audit (
                        id INTEGER PRIMARY KEY,
                        time INTEGER NOT NULL,
                        principal TEXT NOT NULL,
                        source TEXT NOT NULL,
                        action TEXT NOT NULL,
                        object TEXT NOT NULL,
                        outcome TEXT NOT NULL,
                        status INTEGER NOT NULL,
                        request_id TEXT NOT NULL
                    );
                    CREATE INDEX identity_audit_time ON identity_audit (time);
                    CREATE INDEX identity_audit_principal ON identity_audit (principal, time);
                    """)
        },
        Migration("identity.v3") { db in
            // Web sessions: only a SHA-256 of the session id is stored; deleting the principal ends them.
            try db.execute(
                sql: """
                    CREATE TABLE identity_sessions (
                        id_hash TEXT PRIMARY KEY NOT NULL,
                        principal_id INTEGER NOT NULL REFERENCES identity_principals(id) ON DELETE CASCADE,
                        csrf_token TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        last_seen_at INTEGER NOT NULL
                    );
                    CREATE INDEX identity_sessions_principal ON identity_sessions (principal_id);
                    CREATE INDEX identity_sessions_expiry ON identity_sessions (expires_at);
                    """)
        },
        Migration("identity.v4") { db in
            // Object ACLs (Databricks permission levels) and Unity Catalog grants: one row per principal and level.
            try db.execute(
                sql: """
                    CREATE TABLE identity_permissions (
                        object_type TEXT NOT NULL,
                        object_id TEXT NOT NULL,
                        principal TEXT NOT NULL COLLATE NOCASE,
                        principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'group', 'service_principal')),
                        level TEXT NOT NULL,
                        PRIMARY KEY (object_type, object_id, principal, level)
                    ) WITHOUT ROWID;
                    CREATE INDEX identity_permissions_principal ON identity_permissions (principal, object_type);
                    """)
        },
    ]
}
