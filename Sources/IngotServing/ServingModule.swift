import GRDB
import IngotStorage

/// The serving module's schema migrations, registered in order by the composition root.
/// Append new migrations; never edit one that has shipped.
public enum ServingModule {
    public static let migrations: [Migration] = [
        Migration("serving.v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE serving_endpoints (
                        name TEXT PRIMARY KEY NOT NULL,
                        id TEXT NOT NULL UNIQUE,
                        creator TEXT,
                        description TEXT,
                        tags TEXT NOT NULL DEFAULT '[]',
                        creation_timestamp INTEGER NOT NULL,
                        last_updated_timestamp INTEGER NOT NULL,
                        config TEXT,
                        config_version INTEGER NOT NULL DEFAULT 0,
                        pending_config TEXT,
                        pending_version INTEGER,
                        config_update TEXT NOT NULL,
                        update_message TEXT
                    );
                    """)
        },
        // Rate limits per endpoint; rollouts and their steps (history kept until the endpoint is deleted).
        Migration("serving.v2") { db in
            try db.execute(
                sql: """
                    ALTER TABLE serving_endpoints ADD COLUMN rate_limits TEXT NOT NULL DEFAULT '[]';
                    CREATE TABLE serving_rollouts (
                        id TEXT PRIMARY KEY NOT NULL,
                        endpoint TEXT NOT NULL REFERENCES serving_endpoints(name) ON DELETE CASCADE,
                        state TEXT NOT NULL,
                        strategy TEXT NOT NULL,
                        plan TEXT NOT NULL,
                        baseline_entity TEXT NOT NULL,
                        baseline_config TEXT NOT NULL,
                        target_entity TEXT NOT NULL,
                        target TEXT NOT NULL,
                        pending_version INTEGER NOT NULL,
                        current_step INTEGER NOT NULL DEFAULT 0,
                        traffic_percentage INTEGER NOT NULL DEFAULT 0,
                        reason TEXT,
                        creator TEXT,
                        start_time INTEGER NOT NULL,
                        end_time INTEGER,
                        last_updated_time INTEGER NOT NULL
                    );
                    CREATE INDEX serving_rollouts_endpoint ON serving_rollouts(endpoint, start_time);
                    CREATE TABLE serving_rollout_steps (
                        rollout_id TEXT NOT NULL REFERENCES serving_rollouts(id) ON DELETE CASCADE,
                        step INTEGER NOT NULL,
                        traffic_percentage INTEGER NOT NULL,
                        state TEXT NOT NULL,
                        start_time INTEGER,
                        end_time INTEGER,
                        requests INTEGER NOT NULL DEFAULT 0,
                        errors INTEGER NOT NULL DEFAULT 0,
                        p99_ms REAL,
                        baseline_requests INTEGER NOT NULL DEFAULT 0,
                        baseline_errors INTEGER NOT NULL DEFAULT 0,
                        baseline_p99_ms REAL,
                        decision TEXT,
                        PRIMARY KEY (rollout_id, step)
                    );
                    """)
        },
    ]
}
