using System.Diagnostics;
using Afterward.Transactions;

namespace Afterward.Tasks;

/// <summary>
/// One task a request added: an in-memory task (<see cref="DelegateTask{TState}"/>, the user's delegate and its
/// captured arguments in one object) or a task another backend already stored (<see cref="BackendTask"/>, e.g. a
/// durable task's id). It is the <see cref="ScheduledTask"/> that <c>AddTask</c> returns, so adding a task allocates
/// this object and a place in the request's list, nothing else.
/// </summary>
internal abstract class TaskItem : ScheduledTask
{
    // Members are internal, not public: a handler that returns the ScheduledTask serializes it by its runtime
    // type, which must show nothing (as the sealed ScheduledTask of 0.1 did).
    private TaskIdentity? _identity;

    /// <summary>The user's delegate (for the task's name and attribute); null for a stored task.</summary>
    internal virtual Delegate? Callable => null;

    /// <summary>The dispatcher of a task stored elsewhere; null for in-memory tasks (the host's runner).</summary>
    internal virtual ITaskDispatcher? Backend => null;

    /// <summary>What <see cref="Backend"/> needs to find the task again.</summary>
    internal virtual object? State => null;

    /// <summary>Explicit name, else the method's [BackgroundTask], else its readable name.</summary>
    internal TaskIdentity Identity => _identity ??= Callable is null
        ? new TaskIdentity(null, Name ?? MetricNames.Unnamed, Group)
        : TaskIdentity.Resolve(Callable, null, Name, Group);

    /// <summary>Runs one attempt.</summary>
    internal abstract ValueTask Invoke(IServiceProvider services, CancellationToken cancellationToken);

    /// <summary>An in-memory task from a delegate that runs it (for callers that already hold one).</summary>
    internal static TaskItem FromInvoker(Delegate callable, Func<IServiceProvider, CancellationToken, ValueTask> invoke) =>
        new DelegateTask<Func<IServiceProvider, CancellationToken, ValueTask>>(callable, invoke, static (_, run, services, token) => run(services, token));
}

/// <summary>
/// An in-memory task: the user's delegate, its captured arguments and a static invoker that calls one with the
/// other (no closure, no second delegate).
/// </summary>
internal sealed class DelegateTask<TState>(Delegate callable, TState state, Func<Delegate, TState, IServiceProvider, CancellationToken, ValueTask> invoke)
    : TaskItem
{
    internal override Delegate Callable => callable;

    internal override ValueTask Invoke(IServiceProvider services, CancellationToken cancellationToken) =>
        invoke(callable, state, services, cancellationToken);
}

/// <summary>A task another backend stored before the response (a durable task): the runner releases it.</summary>
internal sealed class BackendTask : TaskItem
{
    private readonly ITaskDispatcher _backend;
    private readonly object _state;

    internal BackendTask(ITaskDispatcher backend, string name, string group, object state)
    {
        _backend = backend;
        _state = state;
        Name = name;
        Group = group;
    }

    internal override ITaskDispatcher Backend => _backend;

    internal override object State => _state;

    internal override ValueTask Invoke(IServiceProvider services, CancellationToken cancellationToken) => default;
}

/// <summary>
/// The tasks of one request for one backend, run one after another in a fresh DI scope. It is also what the
/// middleware hands to <c>Response.OnCompleted</c>: <see cref="DispatchAsync"/> passes the list on whole when it
/// has one backend (almost always) or splits it, each backend keeping the order in which its tasks were added.
/// </summary>
internal sealed class TaskBatch(List<TaskItem> items, ActivityContext link, string? traceId, ITaskDispatcher? memory = null)
{
    private string? _traceId = traceId;

    public List<TaskItem> Items { get; } = items;

    public ActivityContext Link { get; } = link;

    /// <summary>
    /// The request's trace id, for a failure's record: given by the caller when the request had no activity, else
    /// written from <see cref="Link"/> only when a task of the list fails.
    /// </summary>
    public string TraceId => _traceId ??= Link.TraceId == default ? "" : Link.TraceId.ToHexString();

    /// <summary>When the in-memory runner queued it (queue wait starts when the response has completed).</summary>
    public long EnqueuedTimestamp { get; set; }

    /// <summary>Some of this request's tasks, with its link and trace id.</summary>
    public TaskBatch Share(List<TaskItem> share) => new(share, Link, _traceId);

    /// <summary>The response completed: dispatch every backend's share.</summary>
    public Task DispatchAsync()
    {
        ITaskDispatcher? single = SingleBackend();
        if (single is not null)
        {
            ValueTask queued = single.DispatchAsync(this);
            return queued.IsCompletedSuccessfully ? Task.CompletedTask : queued.AsTask();
        }

        return DispatchSplitAsync();
    }

    /// <summary>The handler failed: every backend skips (or discards) its share.</summary>
    public void Skip(string transactionName)
    {
        foreach ((ITaskDispatcher dispatcher, List<TaskItem> share) in Split())
        {
            dispatcher.Skip(Share(share), transactionName);
        }
    }

    private async Task DispatchSplitAsync()
    {
        foreach ((ITaskDispatcher dispatcher, List<TaskItem> share) in Split())
        {
            await dispatcher.DispatchAsync(Share(share)).ConfigureAwait(false);
        }
    }

    private ITaskDispatcher? SingleBackend()
    {
        ITaskDispatcher? first = Items[0].Backend;
        for (int i = 1; i < Items.Count; i++)
        {
            if (!ReferenceEquals(Items[i].Backend, first))
            {
                return null;
            }
        }

        return first ?? Memory;
    }

    private ITaskDispatcher Memory => memory ?? throw new InvalidOperationException("An in-memory task was handed off without the host's runner.");

    private List<(ITaskDispatcher Dispatcher, List<TaskItem> Share)> Split()
    {
        var shares = new List<(ITaskDispatcher Dispatcher, List<TaskItem> Share)>(2);
        foreach (TaskItem item in Items)
        {
            ITaskDispatcher dispatcher = item.Backend ?? Memory;
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
