using Afterward.Durable.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Afterward.Durable.PostgreSql.Tests;

/// <summary>
/// The store's statements on the real server, one at a time, with the argument shapes the runner passes (a single id
/// or name in an array among them: such an array once bound as one parameter per element).
/// </summary>
[Collection(PostgresCollection.Name)]
public class PostgresStoreStatementTests
{
    [Fact]
    public async Task HeldTasks_OneDiscardedOneReleased_OnlyTheReleasedOneIsDue()
    {
        string schema = Postgres.NewSchema();
        await using var store = new PostgresDurableStore(Postgres.ConnectionString, schema, createSchema: true, NullLogger.Instance);
        await store.InitializeAsync(CancellationToken.None);
        // A held task is runnable by itself once its hold (run_at) passes, unless the response releases it first.
        string discarded = await store.InsertAsync(Held("a", 1_000_000), null, CancellationToken.None);
        string released = await store.InsertAsync(Held("b", 2_000_000), null, CancellationToken.None);

        Assert.Equal(1_000_000, await store.NextRunAtAsync(["work"]));
        Assert.Equal(1, await store.DiscardHeldAsync([discarded]));
        await store.ReleaseHeldAsync([released], 5_000);

        Assert.Null(await store.GetAsync(discarded, CancellationToken.None));
        Assert.Equal(5_000, await store.NextRunAtAsync(["work"]));
        IReadOnlyList<ClaimedTask> claimed = await store.ClaimAsync(["work"], 10, "test", 5_000, 35_000, CancellationToken.None);
        Assert.Equal([released], claimed.Select(c => c.Id));
        // Renewal is fenced by the token: the current one renews (nothing lost), a stale one is reported lost.
        Assert.Empty(await store.RenewAsync([new Lease(released, claimed[0].LeaseToken)], 40_000));
        Assert.Equal([released], await store.RenewAsync([new Lease(released, claimed[0].LeaseToken - 1)], 40_000));
        Assert.Equal([true], await store.CompleteAsync([new Completion(released, claimed[0].LeaseToken, RunOutcome.Succeeded, null, null)], 6_000));
        Assert.Equal([false], await store.CompleteAsync([new Completion(released, claimed[0].LeaseToken, RunOutcome.Succeeded, null, null)], 7_000));
    }

    [Fact]
    public async Task RowBeingCompleted_RenewAndRescueDoNotWaitForIt_TheOtherLeaseIsRenewed()
    {
        // A completion batch holds its rows' locks until it commits. A renewal or a rescue that waited for them could
        // deadlock with it (renewals and batches lock overlapping rows in their own orders) and stall both for
        // deadlock_timeout; they skip such a row instead and leave it to the completion.
        string schema = Postgres.NewSchema();
        await using var store = new PostgresDurableStore(Postgres.ConnectionString, schema, createSchema: true, NullLogger.Instance);
        await store.InitializeAsync(CancellationToken.None);
        string finishing = await store.InsertAsync(Due("finishing"), null, CancellationToken.None);
        string running = await store.InsertAsync(Due("running"), null, CancellationToken.None);
        IReadOnlyList<ClaimedTask> claimed = await store.ClaimAsync(["work"], 10, "test", 1_000, 2_000, CancellationToken.None);
        Assert.Equal(2, claimed.Count);
        Lease[] leases = [.. claimed.Select(c => new Lease(c.Id, c.LeaseToken))];

        await using NpgsqlConnection completing = await Postgres.OpenAsync();
        await using NpgsqlTransaction batch = await completing.BeginTransactionAsync();
        await using (var update = new NpgsqlCommand($"UPDATE {schema}.tasks SET completed_at = 1 WHERE id = $1;", completing, batch))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = finishing });
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        // The renewal skips the locked row (not lost: its completion settles it) and renews the other.
        Assert.Empty(await store.RenewAsync(leases, 10_000).WaitAsync(Postgres.Wait));
        Assert.Equal(10_000, await LeaseUntilAsync(schema, running));
        Assert.Equal(2_000, await LeaseUntilAsync(schema, finishing));

        // At 20_000 both leases have expired: the rescue returns the free one only, and then a renewal reports it lost.
        Assert.Equal(1, await store.RescueAsync(20_000).WaitAsync(Postgres.Wait));
        Assert.Equal([running], await store.RenewAsync(leases, 30_000).WaitAsync(Postgres.Wait));

        // Had the completion failed (rolled back), the next rescue returns its task.
        await batch.RollbackAsync();
        Assert.Equal(1, await store.RescueAsync(20_000));
        Assert.Equal(0, (await store.GetAsync(finishing, CancellationToken.None))!.State); // waiting again
    }

    [Fact]
    public async Task InstanceStarting_WarmsItsStatements_LeavesTheQueueAsItWas()
    {
        // A starting store runs its claim, renewal and outcome statements once to warm the driver: they must match
        // nothing, whatever the queue holds.
        string schema = Postgres.NewSchema();
        await using var first = new PostgresDurableStore(Postgres.ConnectionString, schema, createSchema: true, NullLogger.Instance);
        await first.InitializeAsync(CancellationToken.None);
        string running = await first.InsertAsync(Due("running"), null, CancellationToken.None); // due at 0
        string waiting = await first.InsertAsync(Due("waiting") with { RunAt = 500 }, null, CancellationToken.None);
        ClaimedTask claimed = Assert.Single(await first.ClaimAsync(["work"], 1, "first", 1_000, 31_000, CancellationToken.None));
        Assert.Equal(running, claimed.Id); // the one due first

        await using var second = new PostgresDurableStore(Postgres.ConnectionString, schema, createSchema: true, NullLogger.Instance);
        await second.InitializeAsync(CancellationToken.None);

        Assert.Equal("0 0 0 -", await RowAsync(schema, waiting));
        Assert.Equal("1 1 1 31000", await RowAsync(schema, running));
    }

    private static Task<string?> RowAsync(string schema, string id) => Postgres.ValueAsync<string>(
        $"SELECT state || ' ' || attempts || ' ' || lease_token || ' ' || coalesce(lease_until::text, '-') FROM {schema}.tasks WHERE id = $1;", id);

    [Fact]
    public async Task TaskRunByTwoInstances_DetailListsEachRunsInstance_LastTwentyKept()
    {
        string schema = Postgres.NewSchema();
        await using var store = new PostgresDurableStore(Postgres.ConnectionString, schema, createSchema: true, NullLogger.Instance);
        await store.InitializeAsync(CancellationToken.None);
        string id = await store.InsertAsync(Due("moved"), null, CancellationToken.None);

        // Instance a claims it and dies; the rescuer returns it once the lease expires; instance b runs it.
        Assert.Single(await store.ClaimAsync(["work"], 1, "a", 1_000, 2_000, CancellationToken.None));
        Assert.Equal(1, await store.RescueAsync(3_000));
        Assert.Single(await store.ClaimAsync(["work"], 1, "b", 4_000, 5_000, CancellationToken.None));
        Assert.Equal([new StoredRun(1_000, "a"), new StoredRun(4_000, "b")], (await store.GetAsync(id, CancellationToken.None))!.Runs);

        // Put back and claimed again 25 times more: the detail keeps the last 20 runs, oldest first.
        long token = 2;
        for (int i = 0; i < 25; i++)
        {
            Assert.Equal([true], await store.CompleteAsync([new Completion(id, token, RunOutcome.Released, null, null)], 10_000 + i));
            token = Assert.Single(await store.ClaimAsync(["work"], 1, "c" + i, 10_000 + i, 90_000, CancellationToken.None)).LeaseToken;
        }

        IReadOnlyList<StoredRun> runs = (await store.GetAsync(id, CancellationToken.None))!.Runs;
        Assert.Equal(Enumerable.Range(5, 20).Select(i => new StoredRun(10_000 + i, "c" + i)), runs);
    }

    [Fact]
    public async Task SchemaAtVersion1_MigratedAtStart_ItsTasksKeptAndRunsRecordedFromThen()
    {
        string schema = Postgres.NewSchema();
        var migrations = new PostgresSchema(schema).Migrations;
        await using (NpgsqlConnection connection = await Postgres.OpenAsync())
        await using (var v1 = new NpgsqlCommand($"""
            CREATE SCHEMA "{schema}"; CREATE TABLE "{schema}".schema_version (version integer NOT NULL);
            {migrations[0]}
            INSERT INTO "{schema}".schema_version (version) VALUES (1);
            INSERT INTO "{schema}".tasks (id, name, payload, state, max_attempts, run_at, enqueued_at) VALUES ('old', 'work', '0', 0, 3, 0, 0);
            """, connection))
        {
            await v1.ExecuteNonQueryAsync();
        }

        await using var store = new PostgresDurableStore(Postgres.ConnectionString, schema, createSchema: true, NullLogger.Instance);
        await store.InitializeAsync(CancellationToken.None);

        Assert.Equal(PostgresSchema.Version, await Postgres.ScalarAsync($"SELECT max(version) FROM {schema}.schema_version"));
        Assert.Empty((await store.GetAsync("old", CancellationToken.None))!.Runs);
        Assert.Equal("old", Assert.Single(await store.ClaimAsync(["work"], 10, "a", 1_000, 2_000, CancellationToken.None)).Id);
        Assert.Equal([new StoredRun(1_000, "a")], (await store.GetAsync("old", CancellationToken.None))!.Runs);
    }

    [Fact]
    public async Task DbaScript_AppliedByHand_SameSchemaAsTheMigration_CheckedAtStart()
    {
        // CreateSchema = false: the app refuses to start until docs/postgresql.sql has been applied, and the script
        // creates exactly what the migration would.
        string byHand = Postgres.NewSchema();
        await using (var unready = new PostgresDurableStore(Postgres.ConnectionString, byHand, createSchema: false, NullLogger.Instance))
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => unready.InitializeAsync(CancellationToken.None));
            Assert.Contains("docs/postgresql.sql", refused.Message, StringComparison.Ordinal);
        }

        string script = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "docs", "postgresql.sql"));
        script = script.Replace("\"afterward\"", $"\"{byHand}\"", StringComparison.Ordinal).Replace(".schema.afterward'", $".schema.{byHand}'", StringComparison.Ordinal);
        await using (NpgsqlConnection connection = await Postgres.OpenAsync())
        await using (var apply = new NpgsqlCommand(script, connection))
        {
            await apply.ExecuteNonQueryAsync();
        }

        string migrated = Postgres.NewSchema();
        await using (var creating = new PostgresDurableStore(Postgres.ConnectionString, migrated, createSchema: true, NullLogger.Instance))
        {
            await creating.InitializeAsync(CancellationToken.None);
        }

        Assert.Equal(await DescribeAsync(migrated), await DescribeAsync(byHand));
        await using var store = new PostgresDurableStore(Postgres.ConnectionString, byHand, createSchema: false, NullLogger.Instance);
        await store.InitializeAsync(CancellationToken.None);
        string id = await store.InsertAsync(Due("by-hand"), null, CancellationToken.None);
        Assert.Equal([id], (await store.ClaimAsync(["work"], 10, "test", 1_000, 2_000, CancellationToken.None)).Select(c => c.Id));
    }

    /// <summary>A schema's tables, columns (type, collation, nullability, default) and indexes, its name left out.</summary>
    private static async Task<List<string>> DescribeAsync(string schema)
    {
        await using NpgsqlConnection connection = await Postgres.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || coalesce(collation_name, '-') || ' ' || is_nullable || ' ' || coalesce(column_default, '-')
            FROM information_schema.columns WHERE table_schema = $1
            UNION ALL SELECT replace(indexdef, $1, 'S') FROM pg_indexes WHERE schemaname = $1
            ORDER BY 1;
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = schema });
        var rows = new List<string>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        Assert.NotEmpty(rows);
        return rows;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "docs", "postgresql.sql")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("docs/postgresql.sql not found above " + AppContext.BaseDirectory);
    }

    private static Task<long?> LeaseUntilAsync(string schema, string id) =>
        Postgres.ValueAsync<long?>($"SELECT lease_until FROM {schema}.tasks WHERE id = $1;", id);

    private static NewTask Due(string id) => new(id, "work", "0", 3, null, null, 0, 0, Held: false, DelayMs: 0, TraceParent: null);

    private static NewTask Held(string id, long holdUntil) => new(id, "work", "0", 3, null, null, holdUntil, 0, Held: true, DelayMs: 0, TraceParent: null);
}
