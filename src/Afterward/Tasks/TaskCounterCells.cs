namespace Afterward.Tasks;

/// <summary>
/// The live counters of one task backend (thread-safe), written by its runner and read as
/// <see cref="BackgroundTaskCounters"/> snapshots by the dashboard and the <c>afterward.tasks.*</c> gauges.
/// </summary>
internal sealed class TaskCounterCells
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
    private long _lastProgress = Environment.TickCount64;

    public long Queued => Volatile.Read(ref _queued);

    public long Running => Volatile.Read(ref _running);

    /// <summary>
    /// When a worker last made progress (started or finished a task), or the queue last went from empty to waiting:
    /// milliseconds of <see cref="Environment.TickCount64"/>. Health checks compare it with now while tasks wait.
    /// </summary>
    public long LastProgress => Volatile.Read(ref _lastProgress);

    public BackgroundTaskCounters Read()
    {
        TaskFailure[] failures;
        lock (_recentFailures)
        {
            failures = [.. _recentFailures];
        }

        return new BackgroundTaskCounters(Queued, Running, Volatile.Read(ref _completed), Volatile.Read(ref _failed),
            Volatile.Read(ref _skipped), Volatile.Read(ref _abandoned), Volatile.Read(ref _retried), failures);
    }

    public void AddQueued(long count)
    {
        if (Interlocked.Add(ref _queued, count) == count)
        {
            Progressed();
        }
    }

    public void Started()
    {
        Interlocked.Decrement(ref _queued);
        Interlocked.Increment(ref _running);
        Progressed();
    }

    public void Completed()
    {
        Interlocked.Decrement(ref _running);
        Interlocked.Increment(ref _completed);
        Progressed();
    }

    public void Failed(TaskFailure failure)
    {
        Progressed();
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

    public void AddSkipped(long count) => Interlocked.Add(ref _skipped, count);

    public void AbandonedQueued(long count)
    {
        Interlocked.Add(ref _queued, -count);
        Interlocked.Add(ref _abandoned, count);
    }

    public void AbandonedRunning()
    {
        Interlocked.Decrement(ref _running);
        Interlocked.Increment(ref _abandoned);
    }

    public void Retry() => Interlocked.Increment(ref _retried);

    private void Progressed() => Volatile.Write(ref _lastProgress, Environment.TickCount64);
}
