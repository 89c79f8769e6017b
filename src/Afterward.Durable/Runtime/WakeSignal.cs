namespace Afterward.Durable.Runtime;

/// <summary>An auto-reset wake-up: <see cref="Set"/> releases the current (or next) waiter once.</summary>
internal sealed class WakeSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Set() => Volatile.Read(ref _next).TrySetResult();

    /// <summary>The task to wait on; call <see cref="Reset"/> before re-reading the store, so that no set is missed.</summary>
    public Task Waiter => Volatile.Read(ref _next).Task;

    public void Reset()
    {
        TaskCompletionSource current = Volatile.Read(ref _next);
        if (current.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), current);
        }
    }
}
