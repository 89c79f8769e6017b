using System.Collections.Concurrent;
using System.Diagnostics;
using Afterward.Metrics;
using Afterward.Transactions;
using Microsoft.Extensions.Logging;

namespace Afterward;

/// <summary>
/// An application that transactions are reported under: its metrics since it started, its harvests (per-interval
/// deltas) and its background-task counters. Obtain one with <see cref="Agent.Application"/>; there is one per name
/// in a process.
/// </summary>
public sealed class Application
{
    private const int MaxLogOnceKeys = 10_000;

    private readonly ConcurrentDictionary<(string Key, string Value), byte> _loggedOnce = new();
    private readonly ConcurrentQueue<MetricsSnapshot> _harvests = new();
    private readonly Lock _harvestGate = new();
    private AfterwardOptions _options;
    private ILogger _logger;
    private ITimer? _timer;
    private DateTimeOffset _lastHarvest;
    private DateTimeOffset _anchorUtc;
    private long _anchorTimestamp;

    internal Application(string name, AfterwardOptions options, ILoggerFactory loggerFactory)
    {
        Name = name;
        _options = options;
        _logger = loggerFactory.CreateLogger("Afterward");
        Metrics = new MetricAggregator(this);
        StartedAt = options.TimeProvider.GetUtcNow();
        _lastHarvest = StartedAt;
        Anchor();
        StartHarvestTimer();
    }

    /// <summary>The application's name.</summary>
    public string Name { get; }

    /// <summary>When the application was created in this process.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>True once a transaction or counter was recorded.</summary>
    public bool HasRecorded => Metrics.HasRecorded;

    /// <summary>The background-task counters of this application.</summary>
    public BackgroundTaskCounters TaskCounters { get; } = new();

    /// <summary>How OTLP export is doing, when this application started it (see <see cref="OtlpOptions"/>).</summary>
    public OtlpExportStatus Export { get; } = new();

    /// <summary>The harvests of about the last 30 minutes (each a delta over one <see cref="AfterwardOptions.HarvestInterval"/>), oldest first.</summary>
    public IReadOnlyList<MetricsSnapshot> RecentHarvests => [.. _harvests];

    /// <summary>Raised after each harvest with its delta. Handlers must be quick; their exceptions are logged.</summary>
    public event Action<MetricsSnapshot>? Harvested;

    internal AfterwardOptions Options => _options;

    internal ILogger Logger => _logger;

    internal TimeProvider Time => _options.TimeProvider;

    internal MetricAggregator Metrics { get; }

    /// <summary>The last 30 minutes in 10-second slots, for the dashboard.</summary>
    internal Timeline Timeline { get; } = new();

    /// <summary>The transactions of this application running now (listed only while a dashboard is mapped in the process).</summary>
    internal IEnumerable<Transaction> InFlight => ApplicationRegistry.InFlight.Keys.Where(t => t.Application == this);

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

    internal void Configure(AfterwardOptions options, ILoggerFactory? loggerFactory)
    {
        bool timerChanged = options.HarvestInterval != _options.HarvestInterval || options.TimeProvider != _options.TimeProvider;
        _options = options;
        if (loggerFactory is not null)
        {
            _logger = loggerFactory.CreateLogger("Afterward");
        }

        if (timerChanged)
        {
            Anchor();
            StartHarvestTimer();
        }
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
        if (_loggedOnce.Count < MaxLogOnceKeys && _loggedOnce.TryAdd((key, value), 0))
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
