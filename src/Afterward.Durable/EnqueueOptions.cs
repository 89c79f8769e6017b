using System.Data.Common;

namespace Afterward;

/// <summary>How one durable task is enqueued. Unset values come from <see cref="DurableTasksOptions"/>.</summary>
public sealed class EnqueueOptions
{
    /// <summary>Runs it no earlier than this long after it is stored (after the response, for a request's task). Default none; accepted [0, 365 days].</summary>
    public TimeSpan? Delay { get; set; }

    /// <summary>Runs that may fail or be lost before it is dead. Default <see cref="DurableTasksOptions.MaxAttempts"/>; accepted 1–1000.</summary>
    public int? MaxAttempts { get; set; }

    /// <summary>Each run's token fires after this long and the run counts as failed. Default none; accepted (0, 1 day].</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>
    /// A deduplication key, one namespace per store: while a task with this key exists and is neither succeeded nor
    /// dead, enqueuing the same key stores nothing and returns that task's id. At most 255 characters.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>
    /// Inserts the task through the caller's transaction, on the same database as the store (a
    /// <c>SqliteConnection</c> on the same file, an <c>NpgsqlConnection</c> on the same database): the task exists
    /// only if that transaction commits (the outbox pattern). It becomes runnable at the commit, found by the next
    /// poll or wake-up.
    /// </summary>
    public DbTransaction? Transaction { get; set; }

    internal void Validate()
    {
        if (Delay is { } delay && (delay < TimeSpan.Zero || delay > TimeSpan.FromDays(365)))
        {
            throw new ArgumentOutOfRangeException(nameof(Delay), delay, "EnqueueOptions.Delay must be in [0, 365 days].");
        }

        if (MaxAttempts is { } attempts && attempts is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), attempts, "EnqueueOptions.MaxAttempts must be between 1 and 1000.");
        }

        if (Timeout is { } timeout && (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromDays(1)))
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), timeout, "EnqueueOptions.Timeout must be in (0, 1 day].");
        }

        if (Key is { } key && (key.Length == 0 || key.Length > 255))
        {
            throw new ArgumentException("EnqueueOptions.Key must be 1–255 characters.", nameof(Key));
        }
    }
}
