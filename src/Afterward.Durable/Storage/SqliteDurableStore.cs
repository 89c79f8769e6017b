using System.Data.Common;
using System.Text;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Afterward.Durable.Storage;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Every write goes through one writer connection and one loop
/// that commits the writes waiting at that moment together (group commit, no <c>SQLITE_BUSY</c> storms between our
/// own writers; <c>BEGIN IMMEDIATE</c> takes the write lock up front). Reads use pooled connections of their own,
/// which WAL lets run beside the writer. A committed write survives a process crash; with
/// <see cref="SqliteSynchronous.Normal"/> a power loss can cost the last commits, with <see cref="SqliteSynchronous.Full"/> none.
/// </summary>
internal sealed class SqliteDurableStore : IDurableStore
{
    private const int MaxBatch = 512;

    private readonly string _connectionString;
    private readonly SqliteSynchronous _synchronous;
    private readonly Channel<WriteOp> _writes = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _initialize = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private SqliteConnection? _writer;
    private Task? _writeLoop;
    private bool _initialized;

    public SqliteDurableStore(string connectionString, SqliteSynchronous synchronous)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.DataSource is { Length: > 0 } path && builder.Mode != SqliteOpenMode.Memory && !path.StartsWith(':'))
        {
            builder.DataSource = Path.GetFullPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(builder.DataSource)!);
        }

        builder.Pooling = true;
        builder.DefaultTimeout = Math.Max(builder.DefaultTimeout, 30);
        _connectionString = builder.ToString();
        _synchronous = synchronous;
        FilePath = builder.DataSource;
    }

    public string Kind => "sqlite";

    public string FilePath { get; }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _initialize.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            _writer = await OpenAsync(cancellationToken, writer: true).ConfigureAwait(false);
            Execute(_writer, null, "PRAGMA journal_mode=WAL;");
            SqliteSchema.CreateOrMigrate(_writer);
            _writeLoop = Task.Run(WriteLoopAsync, CancellationToken.None);
            _initialized = true;
        }
        finally
        {
            _initialize.Release();
        }
    }

    public Task<string> InsertAsync(NewTask task, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        if (transaction is not null)
        {
            if (transaction is not SqliteTransaction sqlite || sqlite.Connection is null)
            {
                throw new ArgumentException(
                    "EnqueueOptions.Transaction must be a SqliteTransaction on an open connection to the durable store's file when the store is SQLite.",
                    nameof(transaction));
            }

            return Task.FromResult(Insert(sqlite.Connection, sqlite, task));
        }

        return WriteAsync((connection, tx) => Insert(connection, tx, task));
    }

    public Task ReleaseHeldAsync(IReadOnlyList<string> ids, long now) =>
        WriteAsync((connection, tx) => Execute(connection, tx,
            "UPDATE afterward_tasks SET run_at = $now + delay_ms, held = 0 WHERE held = 1 AND state = 0 AND id IN (SELECT value FROM json_each($ids));",
            ("$now", now), ("$ids", JsonList(ids))));

    public Task<int> DiscardHeldAsync(IReadOnlyList<string> ids) =>
        WriteAsync((connection, tx) => Execute(connection, tx,
            "DELETE FROM afterward_tasks WHERE held = 1 AND state = 0 AND id IN (SELECT value FROM json_each($ids));", ("$ids", JsonList(ids))));

    public Task<IReadOnlyList<ClaimedTask>> ClaimAsync(IReadOnlyList<string> names, int max, string owner, long now, long leaseUntil, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<ClaimedTask>>((connection, tx) =>
        {
            using SqliteCommand command = Command(connection, tx, """
                UPDATE afterward_tasks
                SET state = 1, attempts = attempts + 1, lease_owner = $owner, lease_until = $until, lease_token = lease_token + 1,
                    started_at = $now, last_instance = $owner, held = 0,
                    earlier_runs = CASE WHEN last_instance IS NULL THEN earlier_runs ELSE json_insert(
                      CASE WHEN json_array_length(earlier_runs) >= $earlier THEN json_remove(earlier_runs, '$[0]') ELSE coalesce(earlier_runs, '[]') END,
                      '$[#]', json_array(started_at, last_instance)) END
                WHERE id IN (SELECT id FROM afterward_tasks INDEXED BY ix_afterward_tasks_waiting
                             WHERE state = 0 AND run_at <= $now AND name IN (SELECT value FROM json_each($names))
                             ORDER BY run_at LIMIT $max)
                RETURNING id, name, payload, attempts, max_attempts, timeout_ms, enqueued_at, run_at, lease_token, trace_parent;
                """, ("$owner", owner), ("$until", leaseUntil), ("$now", now), ("$names", JsonList(names)), ("$max", max), ("$earlier", StoredRun.Limit - 1));
            using SqliteDataReader reader = command.ExecuteReader();
            var claimed = new List<ClaimedTask>();
            while (reader.Read())
            {
                claimed.Add(new ClaimedTask(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4),
                    reader.IsDBNull(5) ? null : reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8),
                    reader.IsDBNull(9) ? null : reader.GetString(9)));
            }

            return claimed;
        });

    public Task<IReadOnlyList<string>> RenewAsync(IReadOnlyList<Lease> leases, long leaseUntil) =>
        WriteAsync<IReadOnlyList<string>>((connection, tx) =>
        {
            var lost = new List<string>();
            using SqliteCommand command = Command(connection, tx,
                "UPDATE afterward_tasks SET lease_until = $until WHERE id = $id AND lease_token = $token AND state = 1;",
                ("$until", leaseUntil), ("$id", ""), ("$token", 0L));
            foreach (Lease lease in leases)
            {
                command.Parameters["$id"].Value = lease.Id;
                command.Parameters["$token"].Value = lease.Token;
                if (command.ExecuteNonQuery() == 0)
                {
                    lost.Add(lease.Id);
                }
            }

            return lost;
        });

    public Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<Completion> completions, long now) =>
        WriteAsync<IReadOnlyList<bool>>((connection, tx) =>
        {
            using SqliteCommand succeeded = Command(connection, tx, """
                UPDATE afterward_tasks SET state = 2, completed_at = $now, lease_owner = NULL, lease_until = NULL, dedupe_key = NULL
                WHERE id = $id AND lease_token = $token AND state = 1;
                """, ("$now", now), ("$id", ""), ("$token", 0L));
            using SqliteCommand retry = Command(connection, tx, """
                UPDATE afterward_tasks SET state = 0, run_at = $at, last_error = $error, lease_owner = NULL, lease_until = NULL
                WHERE id = $id AND lease_token = $token AND state = 1;
                """, ("$at", 0L), ("$error", ""), ("$id", ""), ("$token", 0L));
            using SqliteCommand dead = Command(connection, tx, """
                UPDATE afterward_tasks SET state = 3, completed_at = $now, last_error = $error, lease_owner = NULL, lease_until = NULL, dedupe_key = NULL
                WHERE id = $id AND lease_token = $token AND state = 1;
                """, ("$now", now), ("$error", ""), ("$id", ""), ("$token", 0L));
            using SqliteCommand released = Command(connection, tx, """
                UPDATE afterward_tasks SET state = 0, attempts = max(attempts - 1, 0), run_at = $now, lease_owner = NULL, lease_until = NULL
                WHERE id = $id AND lease_token = $token AND state = 1;
                """, ("$now", now), ("$id", ""), ("$token", 0L));
            var applied = new bool[completions.Count];
            for (int i = 0; i < applied.Length; i++)
            {
                Completion c = completions[i];
                SqliteCommand command = c.Outcome switch
                {
                    RunOutcome.Succeeded => succeeded,
                    RunOutcome.Released => released,
                    _ when c.RetryAt is { } at => Set(retry, "$at", at),
                    _ => dead,
                };
                if (command != succeeded && command != released)
                {
                    command.Parameters["$error"].Value = (object?)c.Error ?? DBNull.Value;
                }

                command.Parameters["$id"].Value = c.Id;
                command.Parameters["$token"].Value = c.LeaseToken;
                applied[i] = command.ExecuteNonQuery() == 1;
            }

            return applied;
        });

    public Task<int> RescueAsync(long now) =>
        WriteAsync((connection, tx) => Execute(connection, tx, """
            UPDATE afterward_tasks
            SET state = CASE WHEN attempts >= max_attempts THEN 3 ELSE 0 END,
                completed_at = CASE WHEN attempts >= max_attempts THEN $now ELSE NULL END,
                dedupe_key = CASE WHEN attempts >= max_attempts THEN NULL ELSE dedupe_key END,
                last_error = 'Afterward.LeaseExpired: the process running it stopped before it finished (instance ' || coalesce(lease_owner, '?') || ')',
                run_at = $now, lease_owner = NULL, lease_until = NULL
            WHERE state = 1 AND lease_until < $now;
            """, ("$now", now)));

    public Task<int> PurgeAsync(long before, int batch) =>
        WriteAsync((connection, tx) => Execute(connection, tx, """
            DELETE FROM afterward_tasks WHERE id IN (
              SELECT id FROM afterward_tasks INDEXED BY ix_afterward_tasks_finished WHERE state IN (2, 3) AND completed_at < $before LIMIT $batch);
            """, ("$before", before), ("$batch", batch)));

    public async Task<long?> NextRunAtAsync(IReadOnlyList<string> names)
    {
        await using SqliteConnection connection = await OpenAsync(CancellationToken.None).ConfigureAwait(false);
        using SqliteCommand command = Command(connection, null,
            "SELECT min(run_at) FROM afterward_tasks WHERE state = 0 AND name IN (SELECT value FROM json_each($names));", ("$names", JsonList(names)));
        return command.ExecuteScalar() is long next ? next : null;
    }

    public async Task<StoredTask?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using SqliteCommand command = Command(connection, null, """
            SELECT id, name, state, attempts, run_at, enqueued_at, started_at, completed_at, last_error, last_instance, earlier_runs
            FROM afterward_tasks WHERE id = $id;
            """, ("$id", id));
        using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!reader.Read())
        {
            return null;
        }

        return new StoredTask(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt64(4), reader.GetInt64(5),
            reader.IsDBNull(6) ? null : reader.GetInt64(6), reader.IsDBNull(7) ? null : reader.GetInt64(7),
            reader.IsDBNull(8) ? null : reader.GetString(8), reader.IsDBNull(9) ? null : reader.GetString(9),
            StoredRun.Of(reader.IsDBNull(10) ? [] : EarlierRuns(reader.GetString(10)), reader.IsDBNull(6) ? null : reader.GetInt64(6), reader.IsDBNull(9) ? null : reader.GetString(9)));
    }

    public async Task<bool> RetryAsync(string id, long now, CancellationToken cancellationToken) =>
        await WriteAsync((connection, tx) => Execute(connection, tx,
            "UPDATE afterward_tasks SET state = 0, attempts = 0, last_error = NULL, completed_at = NULL, run_at = $now WHERE id = $id AND state = 3;",
            ("$id", id), ("$now", now))).ConfigureAwait(false) == 1;

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken) =>
        await WriteAsync((connection, tx) => Execute(connection, tx, "DELETE FROM afterward_tasks WHERE id = $id AND state <> 1;", ("$id", id))).ConfigureAwait(false) == 1;

    public async Task<DurableCounts> CountAsync(long now, int recentDead, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var counts = new DurableCountsBuilder(now);
        using (SqliteCommand command = Command(connection, null, """
            SELECT state, run_at > $now AS later, attempts > 0 AS retried, count(*) FROM afterward_tasks GROUP BY 1, 2, 3;
            """, ("$now", now)))
        using (SqliteDataReader reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                counts.Add(reader.GetInt32(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetInt64(3));
            }
        }

        var recent = new List<DeadTask>();
        using (SqliteCommand command = Command(connection, null, """
            SELECT id, name, attempts, last_error, completed_at FROM afterward_tasks INDEXED BY ix_afterward_tasks_finished
            WHERE state IN (2, 3) AND state = 3 ORDER BY completed_at DESC LIMIT $limit;
            """, ("$limit", recentDead)))
        using (SqliteDataReader reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                recent.Add(new DeadTask(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4)));
            }
        }

        return counts.Build(recent);
    }

    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        if (_writeLoop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }

        if (_writer is { } writer)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
        _initialize.Dispose();
    }

    private static string Insert(SqliteConnection connection, SqliteTransaction? tx, NewTask task)
    {
        if (task.Key is { } key)
        {
            using SqliteCommand find = Command(connection, tx, "SELECT id FROM afterward_tasks WHERE dedupe_key = $key AND state IN (0, 1);", ("$key", key));
            if (find.ExecuteScalar() is string existing)
            {
                return existing;
            }
        }

        Execute(connection, tx, """
            INSERT INTO afterward_tasks (id, name, payload, state, attempts, max_attempts, timeout_ms, dedupe_key, run_at, enqueued_at, held, delay_ms, trace_parent)
            VALUES ($id, $name, $payload, 0, 0, $max, $timeout, $key, $run, $enqueued, $held, $delay, $trace);
            """,
            ("$id", task.Id), ("$name", task.Name), ("$payload", task.Payload), ("$max", task.MaxAttempts), ("$timeout", task.TimeoutMs),
            ("$key", task.Key), ("$run", task.RunAt), ("$enqueued", task.EnqueuedAt), ("$held", task.Held ? 1 : 0), ("$delay", task.DelayMs),
            ("$trace", task.TraceParent));
        return task.Id;
    }

    private Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> write)
    {
        if (!_initialized)
        {
            throw new InvalidOperationException("The durable store is not initialized yet.");
        }

        var op = new WriteOp<T>(write);
        if (!_writes.Writer.TryWrite(op))
        {
            throw new ObjectDisposedException(nameof(SqliteDurableStore), "The durable store was stopped.");
        }

        return op.Result;
    }

    /// <summary>The single writer: takes what is waiting (up to <see cref="MaxBatch"/>), runs it in one transaction, commits once.</summary>
    private async Task WriteLoopAsync()
    {
        SqliteConnection connection = _writer!;
        var batch = new List<WriteOp>(MaxBatch);
        while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && _writes.Reader.TryRead(out WriteOp? op))
            {
                batch.Add(op);
            }

            // Optimistic: the whole batch in one transaction. A write that throws (a constraint, a bad argument) rolls
            // the batch back; then each write runs in a transaction of its own, so that it fails alone.
            if (!TryCommit(connection, batch, out Exception? failure))
            {
                if (batch.Count == 1)
                {
                    batch[0].Fail(failure!);
                }
                else
                {
                    foreach (WriteOp op in batch)
                    {
                        if (!TryCommit(connection, [op], out Exception? alone))
                        {
                            op.Fail(alone!);
                        }
                    }
                }
            }

            batch.Clear();
        }
    }

    /// <summary>Runs the writes in one transaction and completes them after the commit; false (nothing applied) if any threw.</summary>
    private static bool TryCommit(SqliteConnection connection, List<WriteOp> batch, out Exception? failure)
    {
        try
        {
            using (var tx = (SqliteTransaction)connection.BeginTransaction(deferred: false))
            {
                foreach (WriteOp op in batch)
                {
                    op.Run(connection, tx);
                }

                tx.Commit();
            }

            foreach (WriteOp op in batch)
            {
                op.Commit();
            }

            failure = null;
            return true;
        }
        catch (Exception ex)
        {
            failure = ex;
            return false;
        }
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken, bool writer = false)
    {
        SqliteConnection connection = writer ? new WriterConnection(_connectionString) : new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        Execute(connection, null, _synchronous == SqliteSynchronous.Full
            ? "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;"
            : "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;");
        return connection;
    }

    /// <summary>
    /// A command for <paramref name="sql"/>. On the writer connection it is prepared once and reused (preparing a
    /// statement costs more than running these small ones); its <c>Dispose</c> keeps it for the next write.
    /// </summary>
    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        SqliteCommand command;
        if (connection is WriterConnection writer)
        {
            if (!writer.Prepared.TryGetValue(sql, out PreparedCommand? prepared))
            {
                prepared = new PreparedCommand(sql, connection);
                writer.Prepared[sql] = prepared;
            }

            prepared.Parameters.Clear();
            command = prepared;
        }
        else
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
        }

        command.Transaction = tx;
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    /// <summary>The writer's connection, with its prepared commands (used by the write loop only, one batch at a time).</summary>
    private sealed class WriterConnection(string connectionString) : SqliteConnection(connectionString)
    {
        public Dictionary<string, PreparedCommand> Prepared { get; } = new(StringComparer.Ordinal);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                foreach (PreparedCommand command in Prepared.Values)
                {
                    command.Release();
                }

                Prepared.Clear();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>A reused command: disposing it after one use keeps it prepared; <see cref="Release"/> disposes it.</summary>
    private sealed class PreparedCommand : SqliteCommand
    {
        private bool _released;

        public PreparedCommand(string sql, SqliteConnection connection)
            : base(sql, connection)
        {
        }

        public void Release()
        {
            _released = true;
            Dispose();
        }

        protected override void Dispose(bool disposing)
        {
            if (_released)
            {
                base.Dispose(disposing);
            }
        }
    }

    private static SqliteCommand Set(SqliteCommand command, string name, object value)
    {
        command.Parameters[name].Value = value;
        return command;
    }

    private static int Execute(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand command = Command(connection, tx, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>The earlier_runs column ([[start, instance], ...]); stored data is not trusted: what does not fit is left out.</summary>
    private static List<StoredRun> EarlierRuns(string json)
    {
        var runs = new List<StoredRun>();
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != System.Text.Json.JsonValueKind.Array)
            {
                return runs;
            }

            foreach (System.Text.Json.JsonElement run in document.RootElement.EnumerateArray())
            {
                if (run.ValueKind == System.Text.Json.JsonValueKind.Array && run.GetArrayLength() == 2 && run[0].TryGetInt64(out long start)
                    && run[1].ValueKind == System.Text.Json.JsonValueKind.String)
                {
                    runs.Add(new StoredRun(start, run[1].GetString()!));
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Not JSON: no runs to show.
        }

        return runs;
    }

    private static string JsonList(IReadOnlyList<string> values)
    {
        var json = new StringBuilder("[");
        for (int i = 0; i < values.Count; i++)
        {
            if (i > 0)
            {
                json.Append(',');
            }

            json.Append('"').Append(System.Text.Json.JsonEncodedText.Encode(values[i]).Value).Append('"');
        }

        return json.Append(']').ToString();
    }

    private abstract class WriteOp
    {
        public abstract void Run(SqliteConnection connection, SqliteTransaction tx);

        public abstract void Commit();

        public abstract void Fail(Exception exception);
    }

    private sealed class WriteOp<T>(Func<SqliteConnection, SqliteTransaction, T> write) : WriteOp
    {
        private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _value;

        public Task<T> Result => _result.Task;

        public override void Run(SqliteConnection connection, SqliteTransaction tx) => _value = write(connection, tx);

        public override void Commit() => _result.TrySetResult(_value!);

        public override void Fail(Exception exception) => _result.TrySetException(exception);
    }
}
