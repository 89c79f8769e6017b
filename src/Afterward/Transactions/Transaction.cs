using System.Diagnostics;
using Afterward.Metrics;
using Afterward.Transactions;

namespace Afterward;

/// <summary>
/// One monitored unit of work: a web request or a background task. It has an application, a kind, a group and a
/// name; its kind is read when it ends. Obtain the current one with <see cref="Agent.CurrentTransaction"/>. Once it
/// has ended, nothing more is recorded into it.
/// </summary>
public sealed class Transaction : IFrame
{
    private const int MaxCustomAttributes = 64;

    private readonly long _startTimestamp;
    private readonly Activity? _activity;
    private readonly bool _ownsActivity;
    /// <summary>
    /// Locks shared by all transactions (striped by identity): a lock object per transaction would cost an
    /// allocation on every request, and <c>lock (this)</c> on a public type lets callers deadlock it.
    /// </summary>
    private static readonly Lock[] Gates = [.. Enumerable.Range(0, 64).Select(static _ => new Lock())];
    /// <summary>The in-flight table of the application it started under (its application may change), when listed there.</summary>
    private readonly InFlightSet? _inFlight;
    private readonly int _inFlightSlot;
    private readonly string _group;
    private readonly string _name;
    /// <summary>The name set after the start (null until then): replaced whole, so a reader never sees half of a rename.</summary>
    private TransactionName? _renamed;
    private int _kind;
    private int _ended;
    private bool _ignored;
    private bool _apdexSuppressed;
    private volatile bool _failed;
    private TransactionDetails? _details;

    internal Transaction(Application application, TransactionKind kind, string group, string name, Activity? activity, bool ownsActivity)
    {
        Application = application;
        _kind = (int)kind;
        _group = group;
        _name = name;
        _activity = activity;
        _ownsActivity = ownsActivity;
        _startTimestamp = application.Time.GetTimestamp();
        InFlightSet inFlight = application.InFlightSet;
        if (inFlight.IsTracking)
        {
            _inFlight = inFlight;
            _inFlightSlot = inFlight.Add(this);
        }
    }

    /// <summary>The application the transaction reports under.</summary>
    public Application Application { get; internal set; }

    /// <summary>Web or background; can change until the transaction ends.</summary>
    public TransactionKind Kind => (TransactionKind)Volatile.Read(ref _kind);

    /// <summary>The group, such as <c>Function</c>, <c>Route</c> or <c>Task</c>.</summary>
    public string Group => Volatile.Read(ref _renamed)?.Group ?? _group;

    /// <summary>The name within the group.</summary>
    public string Name => Volatile.Read(ref _renamed)?.Name ?? _name;

    /// <summary>The metric name: <c>WebTransaction/{group}/{name}</c> or <c>OtherTransaction/{group}/{name}</c>.</summary>
    public string MetricName
    {
        get
        {
            // One read: a rename in between cannot mix two names' group and name.
            TransactionName? renamed = Volatile.Read(ref _renamed);
            return (Kind == TransactionKind.Web ? "WebTransaction/" : "OtherTransaction/") +
                (renamed?.Group ?? _group) + "/" + (renamed?.Name ?? _name);
        }
    }

    /// <summary>How long the transaction has been running.</summary>
    public TimeSpan Elapsed => Application.Time.GetElapsedTime(_startTimestamp);

    /// <summary>True once the transaction has ended.</summary>
    public bool IsEnded => Volatile.Read(ref _ended) != 0;

    /// <summary>True when the transaction will not be recorded.</summary>
    public bool IsIgnored => _ignored;

    /// <summary>True when the transaction has an error (an exception escaped, or a response status ≥ 500).</summary>
    public bool HasError => _failed;

    /// <summary>The activity that carries this transaction to OpenTelemetry, when something listens.</summary>
    public Activity? Activity => _activity;

    /// <summary>The custom attributes added with <see cref="Agent.AddCustomAttribute"/>.</summary>
    public IReadOnlyDictionary<string, object?> CustomAttributes
    {
        get
        {
            lock (Gate)
            {
                return _details?.Attributes is { } attributes ? new Dictionary<string, object?>(attributes) : new Dictionary<string, object?>();
            }
        }
    }

    Transaction IFrame.Transaction => this;

    /// <summary>The details, made on first use (by a racing writer at most once).</summary>
    private TransactionDetails Detail => LazyInitializer.EnsureInitialized(ref _details);

    private Lock Gate => Gates[(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this) & int.MaxValue) % Gates.Length];

    internal long StartTimestamp => _startTimestamp;

    /// <summary>True while the request's handler (or a running task) may add background tasks.</summary>
    internal bool AcceptsTasks => _acceptsTasks && !ReferenceEquals(Volatile.Read(ref _tasks), ClosedTasks);

    /// <summary>Lets the request's handler add background tasks (set by the ASP.NET Core middleware).</summary>
    internal void AcceptTasks() => _acceptsTasks = true;

    /// <summary>
    /// Adds a task to run after the response; false when this transaction takes no tasks. The list is made for one
    /// task (most requests add one), so the first task costs its list 64 B.
    /// </summary>
    /// <exception cref="InvalidOperationException">The response already completed.</exception>
    internal bool AddTask(Tasks.TaskItem item)
    {
        if (!_acceptsTasks)
        {
            return false;
        }

        // Adders serialize on the lock; TakeTasks swaps the list out without it, then waits for an adder that read
        // the list before the swap (see there).
        lock (Gate)
        {
            List<Tasks.TaskItem>? tasks = Volatile.Read(ref _tasks);
            if (tasks is null)
            {
                tasks = new List<Tasks.TaskItem>(1) { item };
                if (Interlocked.CompareExchange(ref _tasks, tasks, null) is null)
                {
                    return true;
                }
            }
            else if (!ReferenceEquals(tasks, ClosedTasks))
            {
                tasks.Add(item);
                return true;
            }
        }

        throw new InvalidOperationException(
            "BackgroundTasks.AddTask was called after the request's response completed; the task would never run. " +
            "Add tasks before the handler returns.");
    }

    /// <summary>
    /// Closes the task list and returns what was added. A request that added nothing takes no lock and allocates
    /// nothing: the swap alone closes the list (an adder after it sees it closed and throws).
    /// </summary>
    internal List<Tasks.TaskItem>? TakeTasks()
    {
        if (!_acceptsTasks)
        {
            return null;
        }

        List<Tasks.TaskItem>? tasks = Interlocked.Exchange(ref _tasks, ClosedTasks);
        if (tasks is null || ReferenceEquals(tasks, ClosedTasks))
        {
            return null;
        }

        // An adder that read the list before the swap may still be adding to it: its lock ends before this one starts.
        lock (Gate)
        {
            return tasks;
        }
    }

    /// <summary>Stands for a task list that is closed: the response completed.</summary>
    private static readonly List<Tasks.TaskItem> ClosedTasks = [];
    private bool _acceptsTasks;
    private List<Tasks.TaskItem>? _tasks;

    /// <summary>Sets name and group unless a name of a higher priority was already set.</summary>
    internal bool SetName(string? name, string? group, NamePriority priority)
    {
        if (IsEnded || priority < (Volatile.Read(ref _renamed)?.Priority ?? NamePriority.Initial))
        {
            return false;
        }

        return SetName(new TransactionName(MetricNames.NormalizeGroup(group), MetricNames.NormalizeName(name), priority));
    }

    /// <summary>Sets an already normalized name (such as one cached per endpoint) unless a higher priority was set.</summary>
    internal bool SetName(TransactionName naming)
    {
        while (true)
        {
            TransactionName? current = Volatile.Read(ref _renamed);
            if (IsEnded || naming.Priority < (current?.Priority ?? NamePriority.Initial))
            {
                return false;
            }

            if (ReferenceEquals(Interlocked.CompareExchange(ref _renamed, naming, current), current))
            {
                return true;
            }
        }
    }

    /// <summary>How long a background task waited in the queue: <c>Tasks/QueueTime</c> and an activity tag when it ends.</summary>
    internal TimeSpan? QueueWait
    {
        get => _queueWaitTicks == 0 ? null : TimeSpan.FromTicks(_queueWaitTicks - 1);
        set => _queueWaitTicks = value is { } wait ? Math.Max(0, wait.Ticks) + 1 : 0;
    }

    /// <summary>The queue wait in ticks plus one, 0 when none (8 bytes where a nullable TimeSpan takes 16).</summary>
    private long _queueWaitTicks;

    internal void SetKind(TransactionKind kind) => Volatile.Write(ref _kind, (int)kind);

    internal void SetIgnored(bool flag) => _ignored = flag;

    internal void SetApdexSuppressed(bool flag) => _apdexSuppressed = flag;

    internal void NoticeError(Exception? exception)
    {
        _failed = true;
        if (exception is not null)
        {
            Detail.Error = exception;
        }
    }

    internal bool AddAttribute(string key, object? value)
    {
        lock (Gate)
        {
            if (IsEnded)
            {
                return false;
            }

            Dictionary<string, object?> attributes = Detail.Attributes ??= new Dictionary<string, object?>(StringComparer.Ordinal);
            if (attributes.Count >= MaxCustomAttributes && !attributes.ContainsKey(key))
            {
                return false;
            }

            attributes[key] = value;
            return true;
        }
    }

    /// <summary>Segments kept per transaction for its trace (New Relic keeps a bounded sample too); their metrics stay exact.</summary>
    internal const int MaxSegments = 1000;

    /// <summary>Segments beyond <see cref="MaxSegments"/>: timed in the metrics, left out of the trace, counted.</summary>
    internal int DroppedSegments => _details?.DroppedSegments ?? 0;

    /// <summary>
    /// Keeps a finished segment for the trace and the scoped metrics. A kept direct child (depth 1) also counts
    /// toward the transaction's exclusive time from its record; a dropped one from its interval.
    /// </summary>
    internal void AddSegment(in SegmentRecord segment)
    {
        lock (Gate)
        {
            if (IsEnded)
            {
                return;
            }

            TransactionDetails details = Detail;
            if (details.Segments.Count < MaxSegments)
            {
                details.Segments.Add(segment);
                return;
            }

            // Past the cap: aggregated per segment name (the metrics stay exact), not kept one by one.
            details.DroppedSegments++;
            details.Untraced ??= [];
            ref Stats stats = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(details.Untraced, segment.Entry, out _);
            stats.Record(segment.Duration, segment.Exclusive);
            if (segment.Depth == 1)
            {
                (details.DroppedChildren ??= new ChildIntervals()).Add(segment.StartOffset, segment.StartOffset + segment.Duration);
            }
        }
    }

    /// <summary>Ends the transaction and records it; later calls do nothing. Never throws.</summary>
    internal void End()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        try
        {
            TransactionRecorder.Record(this);
        }
        catch (Exception ex)
        {
            Log.AgentFault(Application.Logger, "ending a transaction", ex);
        }
    }

    /// <summary>The metric entry of the transaction's current name (read once, as <see cref="MetricName"/>).</summary>
    internal TransactionEntry ResolveEntry(TransactionKind kind) => Volatile.Read(ref _renamed) is { } renamed
        ? Application.Metrics.Resolve(kind, renamed)
        : Application.Metrics.Resolve(kind, _group, _name);

    /// <summary>What the recorder reads once the transaction has ended (no writer is left then).</summary>
    internal EndState TakeEndState()
    {
        _inFlight?.Remove(_inFlightSlot);

        // Whatever is in the details was written under the lock by a writer that saw the transaction running; the
        // lock waits for one that raced with the end. The segments are moved out: nothing can reach them after this.
        TransactionDetails? details = Volatile.Read(ref _details);
        if (details is null)
        {
            return new EndState(default, null, null, null, null, _failed, _ignored, _apdexSuppressed, _ownsActivity);
        }

        lock (Gate)
        {
            return new EndState(details.Segments.Take(), details.Untraced, details.DroppedChildren, details.Attributes, details.Error, _failed,
                _ignored, _apdexSuppressed, _ownsActivity);
        }
    }

    /// <summary>The state of an ended transaction, for <see cref="TransactionRecorder"/>.</summary>
    internal readonly record struct EndState(
        SegmentBuffer Segments,
        Dictionary<SegmentEntry, Stats>? Untraced,
        ChildIntervals? DroppedChildren,
        Dictionary<string, object?>? Attributes,
        Exception? Error,
        bool Failed,
        bool Ignored,
        bool ApdexSuppressed,
        bool OwnsActivity);
}

/// <summary>
/// What few transactions need (an error, segments, custom attributes), made on first use so that a plain request's
/// transaction stays small. Segments, untraced segments, attributes and the dropped count are written under the
/// transaction's lock.
/// </summary>
internal sealed class TransactionDetails
{
    public Exception? Error;
    public SegmentBuffer Segments;
    /// <summary>Direct children past <see cref="Transaction.MaxSegments"/>, as offsets from the start: they still count toward exclusive time.</summary>
    public ChildIntervals? DroppedChildren;
    public Dictionary<SegmentEntry, Stats>? Untraced;
    public Dictionary<string, object?>? Attributes;
    public int DroppedSegments;
}

/// <summary>A transaction's group and name, normalized, with the priority of the source that set them.</summary>
internal sealed class TransactionName(string group, string name, NamePriority priority)
{
    public string Group { get; } = group;

    public string Name { get; } = name;

    public NamePriority Priority { get; } = priority;

    /// <summary>The metric entry this name last resolved to (per application and kind), so that recording skips the lookup.</summary>
    internal MetricAggregator.Resolution? Resolved { get; set; }
}

/// <summary>Which naming source wins: a higher priority replaces a lower one, never the reverse.</summary>
internal enum NamePriority
{
    /// <summary>The name given at start.</summary>
    Initial = 0,

    /// <summary>The framework's automatic name (the matched route).</summary>
    Framework = 1,

    /// <summary>Endpoint metadata, such as <c>[BackgroundTask(Name = ...)]</c> on a handler.</summary>
    Endpoint = 2,

    /// <summary>A call form or the API (<c>Agent.BackgroundTask</c>, <c>SetTransactionName</c>).</summary>
    Api = 3,
}
