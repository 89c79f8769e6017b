using System.Collections.Concurrent;

namespace Afterward.Tasks;

/// <summary>
/// What one worker is running: the current task (for long-task warnings) and the tasks of its list still to run
/// (to name what is abandoned at shutdown). A task leaves the list when it starts, so a list that grows by
/// follow-ups costs what is pending, not what has run. Once reported as abandoned, late completions of that list
/// are not counted again.
/// </summary>
internal sealed class WorkerSlot
{
    private readonly Lock _gate = new();
    private readonly Queue<TaskItem> _pending = new();
    private string? _running;
    private long _startedAt;
    private bool _warned;
    private bool _reported;
    private int _started;

    public void BeginBatch(List<TaskItem> items)
    {
        lock (_gate)
        {
            _pending.Clear();
            foreach (TaskItem item in items)
            {
                _pending.Enqueue(item);
            }

            _started = 0;
            _reported = false;
        }
    }

    /// <summary>The next task of the list and its position in it; false when the list is done (or was reported).</summary>
    public bool TryTakeNext(out TaskItem item, out int index)
    {
        lock (_gate)
        {
            index = _started;
            if (_reported || !_pending.TryDequeue(out TaskItem? next))
            {
                item = null!;
                return false;
            }

            _started++;
            item = next;
            return true;
        }
    }

    /// <summary>Appends follow-up tasks scheduled by the running task to the end of its list.</summary>
    public void Append(List<TaskItem> followUps)
    {
        lock (_gate)
        {
            foreach (TaskItem item in followUps)
            {
                _pending.Enqueue(item);
            }
        }
    }

    public void EndBatch()
    {
        lock (_gate)
        {
            _pending.Clear();
        }
    }

    public void BeginTask(string name, long timestamp)
    {
        lock (_gate)
        {
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

    /// <summary>The list's DI scope is being disposed: shown (and warned about) as such while it takes long.</summary>
    public void BeginDisposal(string names, long timestamp) => BeginTask("(disposing the DI scope of " + names + ")", timestamp);

    public void EndDisposal()
    {
        lock (_gate)
        {
            _running = null;
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
            return _reported ? 0 : DrainPending(names);
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

            return (running, DrainPending(names));
        }
    }

    /// <summary>When the running task started (a timestamp), or null when the worker is idle.</summary>
    public long? RunningSince()
    {
        lock (_gate)
        {
            return _running is null ? null : _startedAt;
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

    private int DrainPending(ConcurrentQueue<string> names)
    {
        int count = _pending.Count;
        while (_pending.TryDequeue(out TaskItem? item))
        {
            names.Enqueue(item.Identity.Name);
        }

        return count;
    }
}
