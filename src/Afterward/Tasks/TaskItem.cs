using Afterward.Transactions;

namespace Afterward.Tasks;

/// <summary>One task added with <c>BackgroundTasks.AddTask</c>: its invoker (arguments already captured) and settings.</summary>
internal sealed class TaskItem(Delegate callable, Func<IServiceProvider, CancellationToken, ValueTask> invoke)
{
    private TaskIdentity? _identity;

    public Delegate Callable { get; } = callable;

    public Func<IServiceProvider, CancellationToken, ValueTask> Invoke { get; } = invoke;

    public string? Name { get; set; }

    public string? Group { get; set; }

    public int? MaxRetries { get; set; }

    public TimeSpan? RetryDelay { get; set; }

    public TimeSpan? Timeout { get; set; }

    /// <summary>Explicit name, else the method's [BackgroundTask], else its readable name.</summary>
    public TaskIdentity Identity => _identity ??= TaskIdentity.Resolve(Callable, null, Name, Group);
}

/// <summary>The tasks of one request, run one after another in a fresh DI scope.</summary>
internal sealed class TaskBatch(List<TaskItem> items, System.Diagnostics.ActivityContext link, string traceId, long enqueuedTimestamp)
{
    public List<TaskItem> Items { get; } = items;

    public System.Diagnostics.ActivityContext Link { get; } = link;

    public string TraceId { get; } = traceId;

    public long EnqueuedTimestamp { get; } = enqueuedTimestamp;
}
