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
        }
    ]
}
