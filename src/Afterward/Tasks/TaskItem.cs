using System.Diagnostics;
using Afterward.Transactions;

namespace Afterward.Tasks;

/// <summary>
/// One task a request added: an in-memory invoker with its arguments captured (<c>BackgroundTasks.AddTask</c>), or
/// a task another backend already stored (<see cref="Backend"/> and <see cref="State"/>, e.g. a durable task's id).
/// </summary>
internal sealed class TaskItem
{
    private TaskIdentity? _identity;

    public TaskItem(Delegate callable, Func<IServiceProvider, CancellationToken, ValueTask> invoke)
    {
        Callable = callable;
        Invoke = invoke;
    }

    public TaskItem(ITaskDispatcher backend, string name, string group, object state)
    {
        Backend = backend;
        Name = name;
        Group = group;
        State = state;
        Invoke = static (_, _) => default;
    }

    public Delegate? Callable { get; }

    public Func<IServiceProvider, CancellationToken, ValueTask> Invoke { get; }

    /// <summary>The dispatcher of a task stored elsewhere; null for in-memory tasks (the host's runner).</summary>
    public ITaskDispatcher? Backend { get; }

    /// <summary>What <see cref="Backend"/> needs to find the task again.</summary>
    public object? State { get; }

    public string? Name { get; set; }

    public string? Group { get; set; }

    public int? MaxRetries { get; set; }

    public TimeSpan? RetryDelay { get; set; }

    public TimeSpan? Timeout { get; set; }

    /// <summary>Explicit name, else the method's [BackgroundTask], else its readable name.</summary>
    public TaskIdentity Identity => _identity ??= Callable is null
        ? new TaskIdentity(null, Name ?? MetricNames.Unnamed, Group)
        : TaskIdentity.Resolve(Callable, null, Name, Group);
}

/// <summary>The tasks of one request for one backend, run one after another in a fresh DI scope.</summary>
internal sealed class TaskBatch(List<TaskItem> items, ActivityContext link, string traceId, long enqueuedTimestamp)
{
    public List<TaskItem> Items { get; } = items;

    public ActivityContext Link { get; } = link;

    public string TraceId { get; } = traceId;

    public long EnqueuedTimestamp { get; } = enqueuedTimestamp;
}
