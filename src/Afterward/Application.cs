using System.Collections.Concurrent;
using System.Diagnostics;
using Afterward.Metrics;
using Afterward.Transactions;
using Microsoft.Extensions.Logging;

namespace Afterward;

/// <summary>
/// An application that transactions are reported under: its metrics since it started, its harvests (per-interval
/// deltas) and its background-task counters. A host's application is created by its container
/// (<c>services.AddAfterward()</c>) and stopped with it; <see cref="Agent.Application"/> finds one by name, or
/// creates one for code that runs without a host.
/// </summary>
public sealed class Application
{
    private const int MaxLogOnceKeys = 10_000;

    /// <summary>Distinct values logged once per key: each kind of warning has its own budget, so that one noisy kind cannot silence another.</summary>
    private const int MaxLogOnceValuesPerKey = 20;

    private readonly ConcurrentDictionary<(string Key, string Value), byte> _loggedOnce = new();
    private readonly ConcurrentDictionary<string, int> _loggedPerKey = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<MetricsSnapshot> _harvests = new();
    private readonly Lock _harvestGate = new();
    private readonly Lock _timerGate = new();
    private AfterwardOptions _options;
    private ILoggerFactory _loggerFactory;
    private ILogger _logger;
    private ITimer? _timer;
    private bool _started;
    private DateTimeOffset _lastHarvest;
    private DateTimeOffset _anchorUtc;
    private long _anchorTimestamp;

    internal Application(string name, AfterwardOptions options, ILoggerFactory loggerFactory, bool hosted)
    {
        Name = name;
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Afterward");
        IsHosted = hosted;
        Metrics = new MetricAggregator(this);
        StartedAt = options.TimeProvider.GetUtcNow();
        _lastHarvest = StartedAt;
        Anchor();
    }

    /// <summary>The application's name.</summary>
    public string Name { get; }

    /// <summary>When the application was created in this process.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>True once a transaction or counter was recorded.</summary>
    public bool HasRecorded => Metrics.HasRecorded;

    /// <summary>The counters of this application's in-memory background tasks, read now.</summary>
    public BackgroundTaskCounters TaskCounters => TaskCells.Read();

    /// <summary>How OTLP export is doing, read now, when this application's host exports (see <see cref="OtlpOptions"/>).</summary>
    public OtlpExportStatus Export => ExportCells.Read();

    /// <summary>The harvests of about the last 30 minutes (each a delta over one <see cref="AfterwardOptions.HarvestInterval"/>), oldest first.</summary>
    public IReadOnlyList<MetricsSnapshot> RecentHarvests => [.. _harvests];

    /// <summary>Raised after each harvest with its delta. Handlers must be quick; their exceptions are logged.</summary>
    public event Action<MetricsSnapshot>? Harvested;

    internal AfterwardOptions Options => _options;

    internal ILogger Logger => _logger;

    internal ILoggerFactory LoggerFactory => _loggerFactory;

    /// <summary>True for a host's own application (created by its container), false for one created by static calls.</summary>
    internal bool IsHosted { get; private set; }

    /// <summary>The host whose request data created this application (<c>afterward.app_name</c>); null otherwise.</summary>
    internal Application? Host { get; init; }

    /// <summary>The in-memory task counters (the runner of this application's host writes them).</summary>
    internal Tasks.TaskCounterCells TaskCells { get; } = new();

    /// <summary>Web transactions by Apdex zone, counted while something listens to <c>afterward.apdex</c>.</summary>
    internal Metrics.ApdexZoneCounters ApdexCounters { get; } = new();

    /// <summary>What OTLP export writes as it goes.</summary>
    internal ExportStatusCells ExportCells { get; } = new();

    /// <summary>The transactions started under this application that are running now, while a dashboard tracks them.</summary>
    internal Transactions.InFlightSet InFlightSet { get; } = new();

    internal TimeProvider Time => _options.TimeProvider;

    internal MetricAggregator Metrics { get; }

    /// <summary>The last 30 minutes in 10-second slots, for the dashboard.</summary>
    internal Timeline Timeline { get; } = new();

    /// <summary>
    /// The wall-clock time of a <see cref="TimeProvider.GetTimestamp"/> value, from an anchor taken when the options
    /// were applied: a subtraction instead of a clock read on every transaction's end.
    /// </summary>
    internal DateTimeOffset UtcAt(long timestamp) => _anchorUtc + _options.TimeProvider.GetElapsedTime(_anchorTimestamp, timestamp);

    /// <summary>The totals recorded since the application started.</summary>
    public MetricsSnapshot Snapshot() => Metrics.Collect(harvest: false, StartedAt, Time.GetUtcNow());

    /// <summary>Ends the current harvest interval now: its delta is stored and <see cref="Harvested"/> raised.</summary>
    /// <returns>The delta since the previous harvest.</returns>
    public MetricsSnapshot Harvest()
    {
        MetricsSnapshot delta;
        lock (_harvestGate)
        {
            DateTimeOffset now = Time.GetUtcNow();
            delta = Metrics.Collect(harvest: true, _lastHarvest, now);
            _lastHarvest = now;
            _harvests.Enqueue(delta);
            int keep = (int)Math.Clamp(TimeSpan.FromMinutes(30) / _options.HarvestInterval, 1, 2000);
            while (_harvests.Count > keep && _harvests.TryDequeue(out _))
            {
            }
        }

        try
        {
            Harvested?.Invoke(delta);
        }
        catch (Exception ex)
        {
            Log.HarvestHandlerFailed(_logger, Name, ex);
        }

        return delta;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>Starts the harvest timer; called by the host's hosted service, or at creation without a host.</summary>
    internal void Start()
    {
        lock (_timerGate)
        {
            _started = true;
            StartHarvestTimer();
        }
    }

    /// <summary>Stops the harvest timer (the host stopped); what was recorded stays readable.</summary>
    internal void Stop()
    {
        lock (_timerGate)
        {
            _started = false;
            _timer?.Dispose();
            _timer = null;
        }
    }

    internal void Configure(AfterwardOptions options, ILoggerFactory loggerFactory)
    {
        bool timerChanged = options.HarvestInterval != _options.HarvestInterval || options.TimeProvider != _options.TimeProvider;
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Afterward");
        if (timerChanged)
        {
            Anchor();
            lock (_timerGate)
            {
                if (_started)
                {
                    StartHarvestTimer();
                }
            }
        }
    }

    /// <summary>A host takes over an application that static calls created before it started.</summary>
    internal void Adopt(AfterwardOptions options, ILoggerFactory loggerFactory)
    {
        IsHosted = true;
        Stop();
        Configure(options, loggerFactory);
    }

    internal Transaction StartTransaction(TransactionKind kind, string? name, string? group, Activity? requestActivity = null, ActivityContext link = default)
    {
        string normalizedName = MetricNames.NormalizeName(name);
        string normalizedGroup = MetricNames.NormalizeGroup(group);
        Activity? activity = requestActivity;
        bool owned = false;
        if (activity is null && AfterwardDiagnostics.Source.HasListeners())
        {
            activity = StartActivity(kind, normalizedGroup, normalizedName, link);
            owned = activity is not null;
        }

        return new Transaction(this, kind, normalizedGroup, normalizedName, activity, owned);
    }

    /// <summary>Runs <paramref name="log"/> once per application, key and value (bounded).</summary>
    internal void LogOnce<TState>(string key, string value, TState state, Action<Application, TState> log)
    {
        if (_loggedOnce.ContainsKey((key, value)) || _loggedOnce.Count >= MaxLogOnceKeys)
        {
            return;
        }

        if (_loggedPerKey.AddOrUpdate(key, 1, static (_, n) => n + 1) > MaxLogOnceValuesPerKey)
        {
            return;
        }

        if (_loggedOnce.TryAdd((key, value), 0))
        {
            log(this, state);
        }
    }

    internal void LogOnce(string key, string value, Action<Application, string> log) => LogOnce(key, value, value, log);

    /// <summary>
    /// Server for web, Consumer for background: the span kinds that backends (New Relic, Tempo, Aspire) read as a
    /// process's entry point, web and non-web. A background task consumes work from an in-process queue.
    /// </summary>
    private static ActivityKind TransactionActivityKind(TransactionKind kind) =>
        kind == TransactionKind.Web ? ActivityKind.Server : ActivityKind.Consumer;

    private static Activity? StartActivity(TransactionKind kind, string group, string name, ActivityContext link)
    {
        string displayName = (kind == TransactionKind.Web ? "WebTransaction/" : "OtherTransaction/") + group + "/" + name;
        if (link == default)
        {
            return AfterwardDiagnostics.Source.StartActivity(displayName, TransactionActivityKind(kind));
        }

        // A task's activity is a new root linked to the request that scheduled it, not a child of a finished span.
        Activity? ambient = Activity.Current;
        Activity.Current = null;
        try
        {
            return AfterwardDiagnostics.Source.StartActivity(displayName, TransactionActivityKind(kind), default(ActivityContext), links: [new ActivityLink(link)]);
        }
        finally
        {
            if (Activity.Current is null && ambient is not null)
            {
                // Only restore when StartActivity did not make its own activity current.
                Activity.Current = ambient;
            }
        }
    }

    private void Anchor()
    {
        _anchorTimestamp = _options.TimeProvider.GetTimestamp();
        _anchorUtc = _options.TimeProvider.GetUtcNow();
    }

    private void StartHarvestTimer()
    {
        // Callers hold _timerGate.
        _timer?.Dispose();
        TimeSpan interval = _options.HarvestInterval;
        _timer = _options.TimeProvider.CreateTimer(static state => ((Application)state!).HarvestSafely(), this, interval, interval);
    }

    private void HarvestSafely()
    {
        try
        {
            Harvest();
        }
        catch (Exception ex)
        {
            Log.AgentFault(_logger, "harvest", ex);
        }
    }
}
