using System.Diagnostics;

namespace Afterward.Tasks;

/// <summary>
/// Hands a finished request's tasks to their dispatchers: the host's in-memory runner, or the backend that stored
/// them (durable tasks). Almost every list has one backend and is passed on whole; a mixed list is split, each
/// backend keeping the order in which its tasks were added.
/// </summary>
internal sealed class TaskHandOff(ITaskDispatcher memory, List<TaskItem> items, ActivityContext link, string traceId, TimeProvider time)
{
    /// <summary>Queue wait starts when the response has completed, not when the handler returned.</summary>
    private long _timestamp;

    /// <summary>The response completed: dispatch every backend's share.</summary>
    public Task DispatchAsync()
    {
        _timestamp = time.GetTimestamp();
        ITaskDispatcher? single = SingleBackend();
        if (single is not null)
        {
            ValueTask queued = single.DispatchAsync(new TaskBatch(items, link, traceId, _timestamp));
            return queued.IsCompletedSuccessfully ? Task.CompletedTask : queued.AsTask();
        }

        return DispatchSplitAsync();
    }

    /// <summary>The handler failed: every backend skips (or discards) its share.</summary>
    public void Skip(string transactionName)
    {
        _timestamp = time.GetTimestamp();
        foreach ((ITaskDispatcher dispatcher, List<TaskItem> share) in Split())
        {
            dispatcher.Skip(new TaskBatch(share, link, traceId, _timestamp), transactionName);
        }
    }

    private async Task DispatchSplitAsync()
    {
        foreach ((ITaskDispatcher dispatcher, List<TaskItem> share) in Split())
        {
            await dispatcher.DispatchAsync(new TaskBatch(share, link, traceId, _timestamp)).ConfigureAwait(false);
        }
    }

    private ITaskDispatcher? SingleBackend()
    {
        ITaskDispatcher? first = items[0].Backend;
        for (int i = 1; i < items.Count; i++)
        {
            if (!ReferenceEquals(items[i].Backend, first))
            {
                return null;
            }
        }

        return first ?? memory;
    }

    private List<(ITaskDispatcher Dispatcher, List<TaskItem> Share)> Split()
    {
        var shares = new List<(ITaskDispatcher Dispatcher, List<TaskItem> Share)>(2);
        foreach (TaskItem item in items)
        {
            ITaskDispatcher dispatcher = item.Backend ?? memory;
            int index = shares.FindIndex(s => ReferenceEquals(s.Dispatcher, dispatcher));
            if (index < 0)
            {
                shares.Add((dispatcher, [item]));
            }
            else
            {
                shares[index].Share.Add(item);
            }
        }

        return shares;
    }
}
