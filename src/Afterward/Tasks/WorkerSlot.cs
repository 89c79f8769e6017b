using System.Collections.Concurrent;

namespace Afterward.Tasks;

/// <summary>
/// What one worker is running: the current task (for long-task warnings) and the rest of its list (to name what is
/// abandoned at shutdown). Once reported as abandoned, late completions of that list are not counted again.
/// </summary>
internal sealed class WorkerSlot
{
    private readonly Lock _gate = new();
    private List<TaskItem>? _batch;
    private int _next;
    private string? _running;
    private long _startedAt;
    private bool _warned;
    private bool _reported;

    public void BeginBatch(List<TaskItem> items)
    {
        lock (_gate)
        {
            _batch = items;
            _next = 0;
            _reported = false;
        }
    }

    /// <summary>Appends follow-up tasks scheduled by the running task to the end of its list.</summary>
    public void Append(List<TaskItem> batch, List<TaskItem> followUps)
    {
        lock (_gate)
        {
            batch.AddRange(followUps);
        }
    }

    public void EndBatch()
    {
        lock (_gate)
        {
            _batch = null;
        }
    }

    public void BeginTask(int index, string name, long timestamp)
    {
        lock (_gate)
        {
            _next = index + 1;
            _running = name;
            _startedAt = timestamp;
            _warned = false;
        }
    }

    /// <summary>Ends the current task; false when it was already reported as abandoned (do not count it again).</summary>
    public bool EndTask()
    {
        lock (_gate)
        {
            _running = null;
            return !_reported;
        }
    }

    /// <summary>The current task stopped because of the shutdown deadline; false when already reported.</summary>
    public bool AbandonCurrent(ConcurrentQueue<string> names)
    {
        lock (_gate)
        {
            string? name = _running;
            _running = null;
            if (_reported || name is null)
            {
                return false;
            }

            names.Enqueue(name);
            return true;
        }
    }

    /// <summary>The unstarted rest of the list will not run; returns how many (0 when already reported).</summary>
    public int AbandonRest(ConcurrentQueue<string> names)
    {
        lock (_gate)
        {
            if (_reported || _batch is null)
            {
                return 0;
            }

            int count = AddRest(names);
            _batch = null;
            return count;
        }
    }

    /// <summary>At the end of the grace period: reports the running task and the rest of the list, once.</summary>
    public (int Running, int Queued) Report(ConcurrentQueue<string> names)
    {
        lock (_gate)
        {
            if (_reported)
            {
                return (0, 0);
            }

            _reported = true;
            int running = 0;
            if (_running is not null)
            {
                names.Enqueue(_running);
                running = 1;
            }

            int queued = _batch is null ? 0 : AddRest(names);
            _batch = null;
            return (running, queued);
        }
    }

    /// <summary>The running task's name, once, when it has run longer than <paramref name="threshold"/>.</summary>
    public string? ShouldWarn(long now, TimeSpan threshold, TimeProvider time)
    {
        lock (_gate)
        {
            if (_running is null || _warned || time.GetElapsedTime(_startedAt, now) < threshold)
            {
                return null;
            }

            _warned = true;
            return _running;
        }
    }

    private int AddRest(ConcurrentQueue<string> names)
    {
        for (int i = _next; i < _batch!.Count; i++)
        {
            names.Enqueue(_batch[i].Identity.Name);
        }

        return _batch.Count - _next;
    }
}
