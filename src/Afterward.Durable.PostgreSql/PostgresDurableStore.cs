using System.Data.Common;
using Afterward.Durable.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Afterward.Durable.PostgreSql;

/// <summary>
/// The PostgreSQL store: every instance claims from one table with <c>FOR UPDATE SKIP LOCKED</c> on the queue row
/// itself (no instance waits for another's locks), in batches ordered by run time, only the names it handles. Every
/// transition is one statement fenced by the lease token. Enqueues, releases and retries <c>NOTIFY</c> a channel that
/// each instance <c>LISTEN</c>s on through a dedicated connection, so that an idle instance starts another's task
/// within milliseconds; the runner's poll covers delays and a dropped listener.
/// </summary>
internal sealed class PostgresDurableStore : IDurableStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresSchema _schema;
    private readonly bool _createSchema;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _initialize = new(1, 1);
    private readonly string _t;
    private Task? _listener;
    private Action? _wake;
    private bool _initialized;

    public PostgresDurableStore(string connectionString, string schema, bool createSchema, ILogger logger)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "Afterward";
        }

        if (builder.MaxAutoPrepare == 0)
        {
            // The store runs a handful of statements over and over: prepared once per connection, they skip parse and plan.
            builder.MaxAutoPrepare = 32;
        }

        // The store's own pool, and it leaves no session state behind (its settings are SET LOCAL, its LISTEN has a
        // connection of its own): resetting each connection on its return would add six statements to every enqueue.
        builder.NoResetOnClose = true;

        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        _schema = new PostgresSchema(schema);
        _createSchema = createSchema;
        _logger = logger;
        _t = _schema.Table;
    }

    public string Kind => "postgres";

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _initialize.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            if (_createSchema)
            {
                await _schema.CreateOrMigrateAsync(connection, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _schema.CheckAsync(connection, cancellationToken).ConfigureAwait(false);
            }

            // The driver's first use of a statement's parameter types (arrays among them) costs a fresh process about
            // 150 ms, measured in its first claim: paid here, with statements that match no row, before a task waits.
            await ClaimAsync([], 0, "", 0, 0, cancellationToken).ConfigureAwait(false);
            await RenewAsync([], 0).ConfigureAwait(false);
            await CompleteAsync([], 0).ConfigureAwait(false);

            _initialized = true;
            _listener ??= Task.Run(ListenAsync, CancellationToken.None);
        }
        finally
        {
            _initialize.Release();
        }
    }

    public void OnRemoteWork(Action wake) => _wake = wake;

    public async Task<string> InsertAsync(NewTask task, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        if (transaction is not null && transaction is not NpgsqlTransaction)
        {
            throw new ArgumentException("EnqueueOptions.Transaction must be an NpgsqlTransaction on the durable store's database when the store is PostgreSQL.", nameof(transaction));
        }

        var caller = (NpgsqlTransaction?)transaction;
        NpgsqlConnection connection = caller?.Connection ?? await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            string sql = $"""
                WITH inserted AS (
                  INSERT INTO {_t} (id, name, payload, state, attempts, max_attempts, timeout_ms, dedupe_key, run_at, enqueued_at, held, delay_ms, trace_parent)
                  VALUES ($1, $2, $3, 0, 0, $4, $5, $6, $7, $8, $9, $10, $11)
                  ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
                  RETURNING id)
                SELECT id FROM inserted
                UNION ALL SELECT id FROM {_t} WHERE $6::text IS NOT NULL AND dedupe_key = $6 AND NOT EXISTS (SELECT 1 FROM inserted)
                LIMIT 1;
                """;
            await using var command = new NpgsqlCommand(sql, connection, caller);
            command.Parameters.Add(new NpgsqlParameter { Value = task.Id });
            command.Parameters.Add(new NpgsqlParameter { Value = task.Name });
            command.Parameters.Add(new NpgsqlParameter { Value = task.Payload });
            command.Parameters.Add(new NpgsqlParameter { Value = task.MaxAttempts });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)task.TimeoutMs ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)task.Key ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = task.RunAt });
            command.Parameters.Add(new NpgsqlParameter { Value = task.EnqueuedAt });
            command.Parameters.Add(new NpgsqlParameter { Value = task.Held });
            command.Parameters.Add(new NpgsqlParameter { Value = task.DelayMs });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)task.TraceParent ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            string id = (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            if (!task.Held)
            {
                // Inside the caller's transaction the notification is sent at its commit, and not at all on a rollback.
                await NotifyAsync(connection, caller, cancellationToken).ConfigureAwait(false);
            }

            return id;
        }
        finally
        {
            if (caller is null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async Task ReleaseHeldAsync(IReadOnlyList<string> ids, long now)
    {
        await ExecuteAsync($"UPDATE {_t} SET run_at = $1 + delay_ms, held = false WHERE held AND state = 0 AND id = ANY($2);", now, ids.ToArray()).ConfigureAwait(false);
        await NotifyAsync(null, null, CancellationToken.None).ConfigureAwait(false);
    }

    public Task<int> DiscardHeldAsync(IReadOnlyList<string> ids) =>
        ExecuteAsync($"DELETE FROM {_t} WHERE held AND state = 0 AND id = ANY($1);", [ids.ToArray()]);

    public async Task<IReadOnlyList<ClaimedTask>> ClaimAsync(IReadOnlyList<string> names, int max, string owner, long now, long leaseUntil, CancellationToken cancellationToken)
    {
        // The plan must not depend on statistics, which lag far behind a queue table (a table filled within
        // autovacuum's minute looks nearly empty to the planner): the claim's transaction rules out sorts, bitmap scans,
        // hash and merge joins, so that it walks tasks_due in run_at order, stops after a batch and updates each claimed
        // row where it lies (by ctid: the row lock keeps it there until the statement ends), instead of sorting the
        // backlog or hashing the whole table, finished rows included.
        string sql = $"""
            WITH next AS (
              SELECT ctid FROM {_t} WHERE state = 0 AND run_at <= $1 AND name = ANY($2)
              ORDER BY run_at LIMIT $3 FOR UPDATE SKIP LOCKED)
            UPDATE {_t} AS t
            SET state = 1, attempts = t.attempts + 1, lease_owner = $4, lease_until = $5, lease_token = t.lease_token + 1,
                started_at = $1, last_instance = $4, held = false,
                earlier_starts = CASE WHEN t.last_instance IS NULL THEN t.earlier_starts
                  ELSE coalesce(t.earlier_starts[greatest(cardinality(t.earlier_starts) - {StoredRun.Limit - 3}, 1):], ARRAY[]::bigint[]) || t.started_at END,
                earlier_instances = CASE WHEN t.last_instance IS NULL THEN t.earlier_instances
                  ELSE coalesce(t.earlier_instances[greatest(cardinality(t.earlier_instances) - {StoredRun.Limit - 3}, 1):], ARRAY[]::text[]) || t.last_instance END
            FROM next WHERE t.ctid = next.ctid
            RETURNING t.id, t.name, t.payload, t.attempts, t.max_attempts, t.timeout_ms, t.enqueued_at, t.run_at, t.lease_token, t.trace_parent;
            """;
        List<ClaimedTask> claimed = await LeaseAsync(sql, [now, names.ToArray(), max, owner, leaseUntil], static reader =>
            new ClaimedTask(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4),
                reader.IsDBNull(5) ? null : reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8),
                reader.IsDBNull(9) ? null : reader.GetString(9)), cancellationToken).ConfigureAwait(false);
        claimed.Sort(static (a, b) => a.RunAt.CompareTo(b.RunAt));
        return claimed;
    }

    public async Task<IReadOnlyList<string>> RenewAsync(IReadOnlyList<Lease> leases, long leaseUntil)
    {
        // Renewal never waits for a row lock: a row locked now is being finished (by this instance's completion batch,
        // or rescued), and that outcome settles it. Waiting instead could deadlock with a completion batch locking the
        // same rows in another order (and cost deadlock_timeout before one of them failed). Only the leases that no
        // longer match (token, running) are reported lost; the skipped ones are checked again at the next renewal.
        string sql = $"""
            WITH held AS (SELECT * FROM unnest($1::text[], $2::bigint[]) AS h(id, token)),
            mine AS (
              SELECT t.ctid FROM {_t} AS t JOIN held ON t.id = held.id AND t.lease_token = held.token
              WHERE t.state + 0 = 1 FOR UPDATE OF t SKIP LOCKED),
            renewed AS (UPDATE {_t} AS t SET lease_until = $3 FROM mine WHERE t.ctid = mine.ctid)
            SELECT held.id FROM held
            WHERE NOT EXISTS (SELECT 1 FROM {_t} AS t WHERE t.id = held.id AND t.lease_token = held.token AND t.state + 0 = 1);
            """;
        return await LeaseAsync(sql, [leases.Select(static l => l.Id).ToArray(), leases.Select(static l => l.Token).ToArray(), leaseUntil],
            static reader => reader.GetString(0), CancellationToken.None).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<Completion> completions, long now)
    {
        // One round trip and one commit for the whole batch: the successes in one set-based UPDATE, the rarer outcomes
        // one statement each. Every statement is fenced by the lease token: a row that no longer matches is not touched.
        // (state + 0 keeps the planner off the partial index of running rows, which it would rescan for every outcome:
        // each outcome is one key lookup.)
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using NpgsqlBatch batch = new(connection, transaction);
        AddPlannerSettings(batch);
        int settings = batch.BatchCommands.Count;
        // In id order, as every other instance's batch: two batches that meet on rows (a lease taken over) wait for
        // each other instead of deadlocking.
        Completion[] succeeded = [.. completions.Where(static c => c.Outcome == RunOutcome.Succeeded).OrderBy(static c => c.Id, StringComparer.Ordinal)];
        var successes = new NpgsqlBatchCommand($"""
            UPDATE {_t} AS t SET state = 2, completed_at = $1, lease_owner = NULL, lease_until = NULL, dedupe_key = NULL
            FROM unnest($2::text[], $3::bigint[]) AS done(id, token)
            WHERE t.id = done.id AND t.lease_token = done.token AND t.state + 0 = 1
            RETURNING t.id;
            """);
        Add(successes.Parameters, now, succeeded.Select(static c => c.Id).ToArray(), succeeded.Select(static c => c.LeaseToken).ToArray());
        batch.BatchCommands.Add(successes);

        bool notify = false;
        foreach (Completion c in completions)
        {
            if (c.Outcome == RunOutcome.Succeeded)
            {
                continue;
            }

            string sql = c.Outcome switch
            {
                RunOutcome.Released => $"UPDATE {_t} SET state = 0, attempts = greatest(attempts - 1, 0), run_at = $1, lease_owner = NULL, lease_until = NULL WHERE id = $2 AND lease_token = $3 AND state = 1;",
                _ when c.RetryAt is not null => $"UPDATE {_t} SET state = 0, run_at = $4, last_error = $5, lease_owner = NULL, lease_until = NULL WHERE id = $2 AND lease_token = $3 AND state = 1 AND $1 = $1;",
                _ => $"UPDATE {_t} SET state = 3, completed_at = $1, last_error = $5, lease_owner = NULL, lease_until = NULL, dedupe_key = NULL WHERE id = $2 AND lease_token = $3 AND state = 1 AND $4 = $4;",
            };
            var command = new NpgsqlBatchCommand(sql);
            Add(command.Parameters, now, c.Id, c.LeaseToken);
            if (c.Outcome == RunOutcome.Failed)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = c.RetryAt ?? 0L });
                command.Parameters.Add(new NpgsqlParameter { Value = (object?)c.Error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            }

            notify |= c.Outcome == RunOutcome.Released;
            batch.BatchCommands.Add(command);
        }

        if (notify)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_notify('{_schema.Channel}', '');"));
        }

        var stored = new HashSet<string>(StringComparer.Ordinal);
        await using (NpgsqlDataReader reader = await batch.ExecuteReaderAsync().ConfigureAwait(false))
        {
            // The first result is the successes' RETURNING; disposing the reader runs the rest.
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                stored.Add(reader.GetString(0));
            }
        }

        await transaction.CommitAsync().ConfigureAwait(false);

        // The set-based UPDATE's returned ids, and each single UPDATE's row count, tell whether the lease still matched.
        var applied = new bool[completions.Count];
        int single = settings + 1;
        for (int i = 0; i < applied.Length; i++)
        {
            applied[i] = completions[i].Outcome == RunOutcome.Succeeded
                ? stored.Contains(completions[i].Id)
                : batch.BatchCommands[single++].RecordsAffected == 1;
        }

        return applied;
    }

    public Task<int> RescueAsync(long now) =>
        // Concurrent rescuers are safe: each row is locked by one of them (SKIP LOCKED), and a row already returned no
        // longer matches state = 1. A row locked by a completion being stored is left to it.
        ExecuteAsync($"""
            WITH expired AS (SELECT ctid FROM {_t} WHERE state = 1 AND lease_until < $1 FOR UPDATE SKIP LOCKED)
            UPDATE {_t} AS t
            SET state = CASE WHEN attempts >= max_attempts THEN 3 ELSE 0 END,
                completed_at = CASE WHEN attempts >= max_attempts THEN $1 ELSE NULL END,
                dedupe_key = CASE WHEN attempts >= max_attempts THEN NULL ELSE dedupe_key END,
                last_error = 'Afterward.LeaseExpired: the process running it stopped before it finished (instance ' || coalesce(lease_owner, '?') || ')',
                run_at = $1, lease_owner = NULL, lease_until = NULL
            FROM expired WHERE t.ctid = expired.ctid;
            """, now);

    public Task<int> PurgeAsync(long before, int batch) =>
        ExecuteAsync($"""
            DELETE FROM {_t} WHERE id = ANY(ARRAY(
              SELECT id FROM {_t} WHERE state IN (2, 3) AND completed_at < $1 ORDER BY completed_at LIMIT $2 FOR UPDATE SKIP LOCKED));
            """, before, batch);

    public async Task<long?> NextRunAtAsync(IReadOnlyList<string> names)
    {
        await using NpgsqlCommand command = _dataSource.CreateCommand($"SELECT min(run_at) FROM {_t} WHERE state = 0 AND name = ANY($1);");
        Add(command, [names.ToArray()]);
        return await command.ExecuteScalarAsync().ConfigureAwait(false) is long next ? next : null;
    }

    public async Task<StoredTask?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = _dataSource.CreateCommand(
            $"SELECT id, name, state, attempts, run_at, enqueued_at, started_at, completed_at, last_error, last_instance, earlier_starts, earlier_instances FROM {_t} WHERE id = $1;");
        Add(command, id);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new StoredTask(reader.GetString(0), reader.GetString(1), reader.GetInt16(2), reader.GetInt32(3), reader.GetInt64(4), reader.GetInt64(5),
            reader.IsDBNull(6) ? null : reader.GetInt64(6), reader.IsDBNull(7) ? null : reader.GetInt64(7),
            reader.IsDBNull(8) ? null : reader.GetString(8), reader.IsDBNull(9) ? null : reader.GetString(9),
            StoredRun.Of(
                reader.IsDBNull(10) ? [] : reader.GetFieldValue<long[]>(10).Zip(reader.GetFieldValue<string[]>(11), static (start, instance) => new StoredRun(start, instance)),
                reader.IsDBNull(6) ? null : reader.GetInt64(6), reader.IsDBNull(9) ? null : reader.GetString(9)));
    }

    public async Task<bool> RetryAsync(string id, long now, CancellationToken cancellationToken)
    {
        bool retried = await ExecuteAsync($"UPDATE {_t} SET state = 0, attempts = 0, last_error = NULL, completed_at = NULL, run_at = $2 WHERE id = $1 AND state = 3;", id, now)
            .ConfigureAwait(false) == 1;
        if (retried)
        {
            await NotifyAsync(null, null, cancellationToken).ConfigureAwait(false);
        }

        return retried;
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken) =>
        await ExecuteAsync($"DELETE FROM {_t} WHERE id = $1 AND state <> 1;", id).ConfigureAwait(false) == 1;

    public async Task<DurableCounts> CountAsync(long now, int recentDead, CancellationToken cancellationToken)
    {
        var counts = new DurableCountsBuilder(now);
        await using (NpgsqlCommand command = _dataSource.CreateCommand(
            $"SELECT state, run_at > $1, attempts > 0, count(*) FROM {_t} GROUP BY 1, 2, 3;"))
        {
            Add(command, now);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                counts.Add(reader.GetInt16(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetInt64(3));
            }
        }

        var recent = new List<DeadTask>();
        await using (NpgsqlCommand command = _dataSource.CreateCommand(
            $"SELECT id, name, attempts, last_error, completed_at FROM {_t} WHERE state = 3 ORDER BY completed_at DESC LIMIT $1;"))
        {
            Add(command, recentDead);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                recent.Add(new DeadTask(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4)));
            }
        }

        return counts.Build(recent);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_listener is { } listener)
        {
            try
            {
                await listener.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _initialize.Dispose();
    }

    /// <summary>A dedicated connection that LISTENs; after a drop it reconnects (the runner polls meanwhile).</summary>
    private async Task ListenAsync()
    {
        CancellationToken stopping = _stop.Token;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(stopping).ConfigureAwait(false);
                connection.Notification += (_, _) => _wake?.Invoke();
                await using (var listen = new NpgsqlCommand($"LISTEN {_schema.Channel};", connection))
                {
                    await listen.ExecuteNonQueryAsync(stopping).ConfigureAwait(false);
                }

                // Tasks enqueued while no listener ran are found now, not at the next poll.
                _wake?.Invoke();
                while (!stopping.IsCancellationRequested)
                {
                    await connection.WaitAsync(stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                PostgresLog.ListenerDropped(_logger, ex);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task NotifyAsync(NpgsqlConnection? connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        string sql = $"SELECT pg_notify('{_schema.Channel}', '');";
        if (connection is not null)
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await using NpgsqlCommand standalone = _dataSource.CreateCommand(sql);
        await standalone.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> ExecuteAsync(string sql, params object[] values)
    {
        await using NpgsqlCommand command = _dataSource.CreateCommand(sql);
        Add(command, values);
        return await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Runs one lease statement (a claim or a renewal) in its own transaction under <see cref="AddPlannerSettings"/> and
    /// reads its rows. Its commit does not wait for the WAL flush (<c>synchronous_commit = off</c>): a lease that a
    /// server crash loses costs a run again, never a task. The task is then waiting with its previous lease token, so
    /// the run that held the lost lease cannot store its outcome (fenced), and the next claim runs it again: at least
    /// once, as after a worker's crash. The next synchronous commit (an enqueue, an outcome) flushes it anyway.
    /// </summary>
    private async Task<List<T>> LeaseAsync<T>(string sql, object[] values, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlBatch batch = new(connection, transaction);
        AddPlannerSettings(batch);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off"));
        var command = new NpgsqlBatchCommand(sql);
        Add(command.Parameters, values);
        batch.BatchCommands.Add(command);
        var rows = new List<T>();
        await using (NpgsqlDataReader reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(read(reader));
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return rows;
    }

    /// <summary>
    /// Plans that do not depend on statistics, for one transaction: an ordered index walk instead of a sort or a bitmap
    /// scan, and a key lookup per row instead of scanning or hashing the whole table (a fresh table's statistics make a
    /// sequential scan look cheap, and each outcome then re-reads every row). Auto-prepared statements are re-planned with
    /// their values.
    /// </summary>
    private static void AddPlannerSettings(NpgsqlBatch batch)
    {
        foreach (string setting in (string[])["enable_seqscan = off", "enable_sort = off", "enable_bitmapscan = off", "enable_hashjoin = off", "enable_mergejoin = off", "plan_cache_mode = force_custom_plan"])
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL " + setting));
        }
    }

    /// <remarks>
    /// A lone array argument must be wrapped (<c>[ids]</c>): a <c>string[]</c> passed alone would bind as the params
    /// array itself, one parameter per element.
    /// </remarks>
    private static void Add(NpgsqlCommand command, params object[] values) => Add(command.Parameters, values);

    private static void Add(NpgsqlParameterCollection parameters, params object[] values)
    {
        foreach (object value in values)
        {
            parameters.Add(new NpgsqlParameter { Value = value });
        }
    }
}
