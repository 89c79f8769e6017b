namespace Afterward;

/// <summary>
/// Live counters of an application's background tasks and its most recent failures. Thread-safe; read by the
/// dashboard and the <c>afterward.tasks</c> instruments.
/// </summary>
public sealed class BackgroundTaskCounters
{
    private const int RecentFailureCapacity = 50;

    private readonly Queue<TaskFailure> _recentFailures = new();
    private long _queued;
    private long _running;
    private long _completed;
    private long _failed;
    private long _skipped;
    private long _abandoned;
    private long _retried;

    /// <summary>Tasks waiting to run.</summary>
    public long Queued => Volatile.Read(ref _queued);

    /// <summary>Tasks running now.</summary>
    public long Running => Volatile.Read(ref _running);

    /// <summary>Tasks that finished without an error.</summary>
    public long Completed => Volatile.Read(ref _completed);

    /// <summary>Tasks that ended with an error (after their retries) or were cancelled by their timeout.</summary>
    public long Failed => Volatile.Read(ref _failed);

    /// <summary>Tasks not run because the handler that scheduled them failed.</summary>
    public long Skipped => Volatile.Read(ref _skipped);

    /// <summary>Tasks still queued or running when shutdown's deadline passed.</summary>
    public long Abandoned => Volatile.Read(ref _abandoned);

    /// <summary>Retry attempts made.</summary>
    public long Retried => Volatile.Read(ref _retried);

    /// <summary>The most recent failures, newest last (at most 50).</summary>
    public IReadOnlyList<TaskFailure> RecentFailures
    {
        get
        {
            lock (_recentFailures)
            {
                return [.. _recentFailures];
            }
        }
    }

    internal void AddQueued(long count) => Interlocked.Add(ref _queued, count);

    internal void Started()
    {
        Interlocked.Decrement(ref _queued);
        Interlocked.Increment(ref _running);
    }

    internal void Completed1()
    {
        Interlocked.Decrement(ref _running);
        Interlocked.Increment(ref _completed);
    }

    internal void Failed1(TaskFailure failure)
    {
        Interlocked.Decrement(ref _running);
        Interlocked.Increment(ref _failed);
        lock (_recentFailures)
        {
            if (_recentFailures.Count == RecentFailureCapacity)
            {
                _recentFailures.Dequeue();
            }

            _recentFailures.Enqueue(failure);
        }
    }

    internal void AddSkipped(long count) => Interlocked.Add(ref _skipped, count);

    internal void AbandonedQueued(long count)
    {
        Interlocked.Add(ref _queued, -count);
        Interlocked.Add(ref _abandoned, count);
    }

    internal void AbandonedRunning()
    {
        Interlocked.Decrement(ref _running);
        Interlocked.Increment(ref _abandoned);
    }

    internal void Retry() => Interlocked.Increment(ref _retried);
}
