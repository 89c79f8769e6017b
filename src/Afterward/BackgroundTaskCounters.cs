namespace Afterward;

/// <summary>
/// The counters of an application's in-memory background tasks at one moment, and its most recent failures: a
/// read-only snapshot (<see cref="Application.TaskCounters"/> reads a new one each time).
/// </summary>
public sealed class BackgroundTaskCounters
{
    internal BackgroundTaskCounters(long queued, long running, long completed, long failed, long skipped, long abandoned, long retried,
        IReadOnlyList<TaskFailure> recentFailures)
    {
        Queued = queued;
        Running = running;
        Completed = completed;
        Failed = failed;
        Skipped = skipped;
        Abandoned = abandoned;
        Retried = retried;
        RecentFailures = recentFailures;
    }

    /// <summary>Tasks waiting to run.</summary>
    public long Queued { get; }

    /// <summary>Tasks running now.</summary>
    public long Running { get; }

    /// <summary>Tasks that finished without an error.</summary>
    public long Completed { get; }

    /// <summary>Tasks that ended with an error (after their retries) or were cancelled by their timeout.</summary>
    public long Failed { get; }

    /// <summary>Tasks not run because the handler that scheduled them failed.</summary>
    public long Skipped { get; }

    /// <summary>Tasks still queued or running when shutdown's deadline passed.</summary>
    public long Abandoned { get; }

    /// <summary>Retry attempts made.</summary>
    public long Retried { get; }

    /// <summary>The most recent failures, newest last (at most 50).</summary>
    public IReadOnlyList<TaskFailure> RecentFailures { get; }
}
