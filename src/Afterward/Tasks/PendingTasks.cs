namespace Afterward.Tasks;

/// <summary>The tasks a request added, handed over once to the runner when the response completes.</summary>
internal sealed class PendingTasks
{
    /// <summary>The list of a request that added nothing before its response: already closed.</summary>
    public static readonly PendingTasks Closed = CreateClosed();

    private readonly Lock _gate = new();
    private List<TaskItem>? _items;
    private bool _closed;

    public void Add(TaskItem item)
    {
        lock (_gate)
        {
            if (_closed)
            {
                throw new InvalidOperationException(
                    "BackgroundTasks.AddTask was called after the request's response completed; the task would never run. " +
                    "Add tasks before the handler returns.");
            }

            (_items ??= []).Add(item);
        }
    }

    private static PendingTasks CreateClosed()
    {
        var closed = new PendingTasks();
        closed.Close();
        return closed;
    }

    /// <summary>Closes the list and returns what was added (null when nothing).</summary>
    public List<TaskItem>? Close()
    {
        lock (_gate)
        {
            _closed = true;
            return _items;
        }
    }
}
