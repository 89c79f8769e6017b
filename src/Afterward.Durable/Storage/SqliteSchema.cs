using Microsoft.Data.Sqlite;

namespace Afterward.Durable.Storage;

/// <summary>
/// The SQLite store's schema, versioned in <c>afterward_schema</c> and created or migrated at startup inside one
/// <c>BEGIN IMMEDIATE</c> transaction, so that two processes opening the same file do not race. The partial
/// indexes hold only the rows a query needs: claims and polls read waiting rows, the rescuer running ones, the
/// purge and the dashboard finished ones, so a million finished rows leave claims O(log n).
/// </summary>
internal static class SqliteSchema
{
    public const int Version = 2;

    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE afterward_tasks (
          id TEXT NOT NULL PRIMARY KEY,
          name TEXT NOT NULL,
          payload TEXT NOT NULL,
          state INTEGER NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0,
          max_attempts INTEGER NOT NULL,
          timeout_ms INTEGER,
          dedupe_key TEXT,
          run_at INTEGER NOT NULL,
          enqueued_at INTEGER NOT NULL,
          started_at INTEGER,
          completed_at INTEGER,
          last_error TEXT,
          lease_owner TEXT,
          lease_until INTEGER,
          lease_token INTEGER NOT NULL DEFAULT 0,
          held INTEGER NOT NULL DEFAULT 0,
          delay_ms INTEGER NOT NULL DEFAULT 0,
          trace_parent TEXT,
          last_instance TEXT
        ) WITHOUT ROWID;
        CREATE INDEX ix_afterward_tasks_waiting ON afterward_tasks (run_at) WHERE state = 0;
        CREATE INDEX ix_afterward_tasks_leases ON afterward_tasks (lease_until) WHERE state = 1;
        CREATE INDEX ix_afterward_tasks_finished ON afterward_tasks (completed_at) WHERE state IN (2, 3);
        CREATE UNIQUE INDEX ix_afterward_tasks_key ON afterward_tasks (dedupe_key) WHERE dedupe_key IS NOT NULL;
        """,
        """
        -- The earlier runs' starts and claiming instances, [[start, instance], ...] (the latest run's are started_at
        -- and last_instance), for a task's detail: null until a task runs a second time.
        ALTER TABLE afterward_tasks ADD COLUMN earlier_runs TEXT;
        """,
    ];

    public static void CreateOrMigrate(SqliteConnection connection)
    {
        using var tx = (SqliteTransaction)connection.BeginTransaction(deferred: false);
        using (SqliteCommand create = connection.CreateCommand())
        {
            create.Transaction = tx;
            create.CommandText = "CREATE TABLE IF NOT EXISTS afterward_schema (version INTEGER NOT NULL);";
            create.ExecuteNonQuery();
        }

        long current;
        using (SqliteCommand read = connection.CreateCommand())
        {
            read.Transaction = tx;
            read.CommandText = "SELECT coalesce(max(version), 0) FROM afterward_schema;";
            current = (long)read.ExecuteScalar()!;
        }

        if (current > Version)
        {
            throw new InvalidOperationException(
                $"The durable store's schema is version {current}, newer than this version of Afterward understands ({Version}). " +
                "Run the newer version of the application, or point UseSqlite at another file.");
        }

        for (long version = current + 1; version <= Version; version++)
        {
            using SqliteCommand migrate = connection.CreateCommand();
            migrate.Transaction = tx;
            migrate.CommandText = Migrations[version - 1] + $"\nINSERT INTO afterward_schema (version) VALUES ({version});";
            migrate.ExecuteNonQuery();
        }

        tx.Commit();
    }
}
