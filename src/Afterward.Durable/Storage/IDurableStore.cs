using System.Data.Common;

namespace Afterward.Durable.Storage;

/// <summary>
/// The store seam: where durable tasks live (SQLite here, PostgreSQL in Afterward.Durable.PostgreSql). The runner is
/// store-agnostic; a store keeps every transition atomic and fenced by the lease token, so that a worker that lost
/// its lease cannot finish or re-queue a task. Times are Unix milliseconds of the application's clock.
/// </summary>
internal interface IDurableStore : IAsyncDisposable
{
    /// <summary><c>sqlite</c> or <c>postgres</c>, as the dashboard shows it.</summary>
    string Kind { get; }

    /// <summary>Creates or migrates the schema (idempotent; safe when several instances start together).</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Stores a task (or finds the live one with the same key) and returns its id.</summary>
    Task<string> InsertAsync(NewTask task, DbTransaction? transaction, CancellationToken cancellationToken);

    /// <summary>The response completed: held tasks become runnable after their own delay.</summary>
    Task ReleaseHeldAsync(IReadOnlyList<string> ids, long now);

    /// <summary>The handler failed: held tasks are deleted; returns how many.</summary>
    Task<int> DiscardHeldAsync(IReadOnlyList<string> ids);

    /// <summary>Claims up to <paramref name="max"/> runnable tasks of these names, oldest run time first, under a new lease each.</summary>
    Task<IReadOnlyList<ClaimedTask>> ClaimAsync(IReadOnlyList<string> names, int max, string owner, long now, long leaseUntil, CancellationToken cancellationToken);

    /// <summary>Extends the leases still held; returns the ids whose lease was lost (token changed, task gone).</summary>
    Task<IReadOnlyList<string>> RenewAsync(IReadOnlyList<Lease> leases, long leaseUntil);

    /// <summary>Applies finished runs, each only if its lease token still matches; returns which were applied.</summary>
    Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<Completion> completions, long now);

    /// <summary>Returns expired leases to the queue (a lost run counts) or makes them dead when out of attempts; returns how many.</summary>
    Task<int> RescueAsync(long now);

    /// <summary>Deletes up to <paramref name="batch"/> succeeded or dead tasks finished before <paramref name="before"/>; returns how many.</summary>
    Task<int> PurgeAsync(long before, int batch);

    /// <summary>The earliest run time among waiting tasks of these names, or null.</summary>
    Task<long?> NextRunAtAsync(IReadOnlyList<string> names);

    Task<StoredTask?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>A dead task back to the queue with attempts 0 and no error; false if there is no dead task of that id.</summary>
    Task<bool> RetryAsync(string id, long now, CancellationToken cancellationToken);

    /// <summary>Deletes a task that is not running; false if there is none.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);

    /// <summary>Counts by state and the most recent dead tasks, over the whole store.</summary>
    Task<DurableCounts> CountAsync(long now, int recentDead, CancellationToken cancellationToken);

    /// <summary>
    /// Lets the store wake the runner when another process made tasks runnable (PostgreSQL's LISTEN/NOTIFY); a store
    /// shared by one process only needs nothing: the runner wakes itself on its own enqueues.
    /// </summary>
    void OnRemoteWork(Action wake)
    {
    }
}

/// <summary>Store states (a waiting task is scheduled, queued or retrying depending on its run time and attempts).</summary>
internal static class StoredState
{
    public const int Waiting = 0;
    public const int Running = 1;
    public const int Succeeded = 2;
    public const int Dead = 3;

    public static DurableTaskState Public(int state, long runAt, int attempts, long now) => state switch
    {
        Running => DurableTaskState.Running,
        Succeeded => DurableTaskState.Succeeded,
        Dead => DurableTaskState.Dead,
        _ when runAt > now => attempts > 0 ? DurableTaskState.Retrying : DurableTaskState.Scheduled,
        _ => attempts > 0 ? DurableTaskState.Retrying : DurableTaskState.Queued,
    };
}

internal sealed record NewTask(
    string Id, string Name, string Payload, int MaxAttempts, long? TimeoutMs, string? Key, long RunAt, long EnqueuedAt,
    bool Held, long DelayMs, string? TraceParent);

internal sealed record ClaimedTask(
    string Id, string Name, string Payload, int Attempt, int MaxAttempts, long? TimeoutMs, long EnqueuedAt, long RunAt,
    long LeaseToken, string? TraceParent);

internal readonly record struct Lease(string Id, long Token);

internal enum RunOutcome
{
    Succeeded,
    Failed,
    Released,
}

/// <summary>A finished run, applied only while <paramref name="LeaseToken"/> still matches the stored one.</summary>
/// <param name="Id">The task.</param>
/// <param name="LeaseToken">The lease the run held.</param>
/// <param name="Outcome">What happened.</param>
/// <param name="Error">The failure, for a failed run.</param>
/// <param name="RetryAt">For a failed run: when to run again, or null when it is out of attempts (dead).</param>
internal readonly record struct Completion(string Id, long LeaseToken, RunOutcome Outcome, string? Error, long? RetryAt);

internal sealed record StoredTask(
    string Id, string Name, int State, int Attempts, long RunAt, long EnqueuedAt, long? StartedAt, long? CompletedAt,
    string? LastError, string? LastInstance, IReadOnlyList<StoredRun> Runs);

/// <summary>
/// A run as the claim recorded it: when it started and the instance that claimed it. A store keeps the last
/// <see cref="Limit"/> of a task's runs (a run put back by a graceful stop is one too): the latest in the row's
/// started_at and last_instance, the earlier ones beside them, moved there only when a task runs again.
/// </summary>
internal readonly record struct StoredRun(long StartedAt, string Instance)
{
    public const int Limit = 20;

    /// <summary>The earlier runs, then the latest (none if it never ran).</summary>
    public static List<StoredRun> Of(IEnumerable<StoredRun> earlier, long? startedAt, string? lastInstance)
    {
        List<StoredRun> runs = [.. earlier];
        if (startedAt is { } started && lastInstance is not null)
        {
            runs.Add(new StoredRun(started, lastInstance));
        }

        return runs;
    }
}

internal sealed record DeadTask(string Id, string Name, int Attempts, string? LastError, long At);

internal sealed record DurableCounts(long Scheduled, long Queued, long Running, long Retrying, long Succeeded, long Dead, IReadOnlyList<DeadTask> RecentDead);

/// <summary>Adds up a store's rows grouped by (state, later than now, retried) into <see cref="DurableCounts"/>.</summary>
internal sealed class DurableCountsBuilder(long now)
{
    private readonly long[] _byState = new long[6];

    public void Add(int state, bool later, bool retried, long count) =>
        _byState[(int)StoredState.Public(state, later ? now + 1 : now, retried ? 1 : 0, now)] += count;

    public DurableCounts Build(IReadOnlyList<DeadTask> recentDead) => new(
        _byState[(int)DurableTaskState.Scheduled], _byState[(int)DurableTaskState.Queued], _byState[(int)DurableTaskState.Running],
        _byState[(int)DurableTaskState.Retrying], _byState[(int)DurableTaskState.Succeeded], _byState[(int)DurableTaskState.Dead], recentDead);
}
