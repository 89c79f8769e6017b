using Npgsql;

namespace Afterward.Durable.PostgreSql;

/// <summary>
/// The PostgreSQL store's schema (default <c>afterward</c>): versioned in <c>{schema}.schema_version</c>, created or
/// migrated at startup inside one transaction holding an advisory lock, so that instances starting together wait for
/// each other instead of racing. <c>CreateSchema = false</c> leaves it to a DBA (docs/postgresql.sql) and only checks.
/// </summary>
internal sealed class PostgresSchema
{
    public const int Version = 2;

    public PostgresSchema(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 50 || !name.All(static c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_') || char.IsDigit(name[0]))
        {
            throw new ArgumentException("The durable tasks' PostgreSQL schema must be a lower-case identifier (a–z, 0–9, _; at most 50 characters).", nameof(name));
        }

        Name = name;
    }

    public string Name { get; }

    public string Table => $"\"{Name}\".tasks";

    /// <summary>The LISTEN/NOTIFY channel: one per schema, so that two apps on one database do not wake each other.</summary>
    public string Channel => $"afterward_{Name}";

    /// <summary>The script of each version, in order; also what docs/postgresql.sql shows a DBA.</summary>
    public string[] Migrations =>
    [
        $"""
        -- Ids and keys are opaque ASCII: compared byte by byte (COLLATE "C"), not by the database's locale.
        CREATE TABLE "{Name}".tasks (
          id text COLLATE "C" PRIMARY KEY,
          name text NOT NULL,
          payload text NOT NULL,
          state smallint NOT NULL,
          attempts integer NOT NULL DEFAULT 0,
          max_attempts integer NOT NULL,
          timeout_ms bigint,
          dedupe_key text COLLATE "C",
          run_at bigint NOT NULL,
          enqueued_at bigint NOT NULL,
          started_at bigint,
          completed_at bigint,
          last_error text,
          lease_owner text,
          lease_until bigint,
          lease_token bigint NOT NULL DEFAULT 0,
          held boolean NOT NULL DEFAULT false,
          delay_ms bigint NOT NULL DEFAULT 0,
          trace_parent text,
          last_instance text
        );
        -- Partial indexes: claims and polls read waiting rows only, so millions of finished rows cost them nothing.
        -- Claims walk tasks_due in run_at order and stop after a batch (names filtered on the way), never sorting the
        -- backlog. name is left out on purpose: as a second column, name = ANY(...) would unorder the scan.
        CREATE INDEX tasks_due ON "{Name}".tasks (run_at) WHERE state = 0;
        CREATE INDEX tasks_leases ON "{Name}".tasks (lease_until) WHERE state = 1;
        CREATE INDEX tasks_finished ON "{Name}".tasks (completed_at) WHERE state IN (2, 3);
        CREATE UNIQUE INDEX tasks_key ON "{Name}".tasks (dedupe_key) WHERE dedupe_key IS NOT NULL;
        """,
        $"""
        -- The earlier runs' starts and claiming instances (the latest run's are started_at and last_instance), for a
        -- task's detail: null until a task runs a second time, so that a first claim writes nothing more.
        ALTER TABLE "{Name}".tasks ADD COLUMN earlier_starts bigint[], ADD COLUMN earlier_instances text[];
        """,
    ];

    public async Task CreateOrMigrateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using NpgsqlTransaction tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, tx, $"SELECT pg_advisory_xact_lock(hashtext('afterward.schema.{Name}'));", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, tx, $"CREATE SCHEMA IF NOT EXISTS \"{Name}\"; CREATE TABLE IF NOT EXISTS \"{Name}\".schema_version (version integer NOT NULL);",
            cancellationToken).ConfigureAwait(false);
        int current = await CurrentAsync(connection, tx, cancellationToken).ConfigureAwait(false);
        if (current > Version)
        {
            throw new InvalidOperationException($"The durable tasks' schema \"{Name}\" is version {current}, newer than this version of Afterward understands ({Version}).");
        }

        for (int version = current + 1; version <= Version; version++)
        {
            await ExecuteAsync(connection, tx, Migrations[version - 1] + $"\nINSERT INTO \"{Name}\".schema_version (version) VALUES ({version});", cancellationToken)
                .ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task CheckAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        int current;
        try
        {
            current = await CurrentAsync(connection, null, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is "42P01" or "3F000")
        {
            current = 0;
        }

        if (current != Version)
        {
            throw new InvalidOperationException(
                $"CreateSchema is false and the schema \"{Name}\" is at version {current}, not {Version}: apply docs/postgresql.sql (with the schema name replaced) first.");
        }
    }

    private async Task<int> CurrentAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM \"{Name}\".schema_version;", connection, tx);
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
