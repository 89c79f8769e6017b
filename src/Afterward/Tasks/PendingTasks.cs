namespace Afterward.Tasks;

/// <summary>The tasks a request added, handed over once to the runner when the response completes.</summary>
internal sealed class PendingTasks
{
    private List<TaskItem>? _items;
    private bool _closed;

    public void Add(TaskItem item)
    {
        lock (this)
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

    /// <summary>Closes the list and returns what was added (null when nothing).</summary>
    public List<TaskItem>? Close()
    {
        lock (this)
        {
            _closed = true;
            return _items;
        }
    }
}
