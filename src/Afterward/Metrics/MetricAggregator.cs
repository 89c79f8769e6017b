using System.Collections.Concurrent;
using Afterward.Transactions;

namespace Afterward.Metrics;

/// <summary>
/// All metrics of one application. Transaction names are bounded by <see cref="AfterwardOptions.MaxTransactionNames"/>;
/// recording a known name takes its entry's lock and allocates nothing. The per-kind rollups (<c>WebTransaction</c>,
/// <c>OtherTransaction/all</c>, <c>Apdex</c>, <c>Errors/all*</c>) are the sums of the entries, added up when collected,
/// so that requests to different names share no lock.
/// </summary>
internal sealed class MetricAggregator
{
    internal const int MaxSegmentNames = 2000;
    internal const string TooLongMetric = "Supportability/Transaction/Dropped/TooLong";

    private readonly Application _application;
    private readonly ConcurrentDictionary<NameKey, TransactionEntry> _transactions = new();
    private readonly ConcurrentDictionary<NameKey, TransactionEntry> _overflow = new();
    private readonly ConcurrentDictionary<(string Group, string Name), SegmentEntry> _segments = new();
    private readonly ConcurrentDictionary<string, CounterEntry> _counters = new(StringComparer.Ordinal);
    private readonly Lock _namesGate = new();
    private volatile bool _recorded;
    private int _webNames;
    private int _backgroundNames;

    /// <summary>The <c>Tasks/QueueTime</c> entry, recorded once per background task (entries are never removed).</summary>
    private SegmentEntry? _queueTime;

    public MetricAggregator(Application application)
    {
        _application = application;
    }

    /// <summary>True once anything was recorded.</summary>
    public bool HasRecorded => _recorded;

    /// <summary>The entry of a transaction name; past the limit, the <c>{group}/*</c> rollup of its kind.</summary>
    public TransactionEntry Resolve(TransactionKind kind, string group, string name)
    {
        var key = new NameKey(kind, group, name);
        return _transactions.TryGetValue(key, out TransactionEntry? entry) ? entry : ResolveSlow(key);
    }

    /// <summary>
    /// The entry of a name object that is reused (one per endpoint and method): the lookup is done once per
    /// application and kind and remembered on the name.
    /// </summary>
    public TransactionEntry Resolve(TransactionKind kind, TransactionName name)
    {
        if (name.Resolved is { } resolved && ReferenceEquals(resolved.Owner, this) && resolved.Entry.Kind == kind)
        {
            return resolved.Entry;
        }

        TransactionEntry entry = Resolve(kind, name.Group, name.Name);
        name.Resolved = new Resolution(this, entry);
        return entry;
    }

    /// <summary>A name's entry in one aggregator (replaced whole, so a reader never mixes two).</summary>
    internal sealed record Resolution(MetricAggregator Owner, TransactionEntry Entry);

    private TransactionEntry ResolveSlow(NameKey key)
    {
        lock (_namesGate)
        {
            if (_transactions.TryGetValue(key, out TransactionEntry? entry))
            {
                return entry;
            }

            // A budget per kind: web names minted by clients (methods, status codes) cannot use up the budget of
            // background tasks, nor the reverse.
            ref int names = ref key.Kind == TransactionKind.Web ? ref _webNames : ref _backgroundNames;
            if (names < _application.Options.MaxTransactionNames)
            {
                entry = new TransactionEntry(key.Kind, key.Group, key.Name);
                _transactions[key] = entry;
                names++;
                return entry;
            }
        }

        var overflowKey = new NameKey(key.Kind, key.Group, "*");
        TransactionEntry overflow = _overflow.GetOrAdd(overflowKey, static k => new TransactionEntry(k.Kind, k.Group, k.Name));
        _application.LogOnce(Log.NameLimitKey, _application.Name, static (app, _) =>
            Log.TransactionNameLimitReached(app.Logger, app.Name, app.Options.MaxTransactionNames));
        return overflow;
    }

    /// <summary>The entry of a segment metric <c>{group}/{name}</c> (already normalized).</summary>
    public SegmentEntry ResolveSegment(string group, string name)
    {
        if (_segments.TryGetValue((group, name), out SegmentEntry? entry))
        {
            return entry;
        }

        if (_segments.Count >= MaxSegmentNames)
        {
            name = "*";
        }

        return _segments.GetOrAdd((group, name), static k => new SegmentEntry(k.Group + "/" + k.Name));
    }

    public void RecordTransaction(TransactionEntry entry, long duration, long exclusive, ApdexZone? zone, bool error, ReadOnlySpan<SegmentRecord> segments,
        DateTimeOffset endedAt = default, System.Diagnostics.Activity? activity = null, Dictionary<SegmentEntry, Stats>? untraced = null)
    {
        lock (entry.Gate)
        {
            entry.Duration.Interval.Record(duration, exclusive);
            entry.Histogram.Record(duration);
            if (endedAt != default && entry.Slowest.Qualifies(duration, endedAt))
            {
                entry.Slowest.Add(new TraceSample(endedAt, duration / (double)TimeSpan.TicksPerMillisecond, error,
                    activity?.TraceId.ToHexString(), SlowTraces.Segments(segments)));
            }

            if (zone is { } z)
            {
                entry.Apdex.Record(z);
            }

            if (error)
            {
                entry.Errors.Interval++;
            }

            foreach (ref readonly SegmentRecord segment in segments)
            {
                entry.RecordScopedSegment(segment.Entry, segment.Duration, segment.Exclusive);
            }

            if (untraced is not null)
            {
                foreach (KeyValuePair<SegmentEntry, Stats> segment in untraced)
                {
                    entry.RecordScopedSegment(segment.Key, segment.Value);
                }
            }
        }

        foreach (ref readonly SegmentRecord segment in segments)
        {
            lock (segment.Entry.Gate)
            {
                segment.Entry.Cell.Interval.Record(segment.Duration, segment.Exclusive);
            }
        }

        if (untraced is not null)
        {
            foreach (KeyValuePair<SegmentEntry, Stats> segment in untraced)
            {
                lock (segment.Key.Gate)
                {
                    segment.Key.Cell.Interval.Add(segment.Value);
                }
            }
        }

        _recorded = true;
    }

    /// <summary>Records a background task's wait between its response completing and its start, as <c>Tasks/QueueTime</c>.</summary>
    public void RecordQueueTime(long ticks)
    {
        SegmentEntry entry = _queueTime ??= ResolveSegment("Tasks", "QueueTime");
        lock (entry.Gate)
        {
            entry.Cell.Interval.Record(ticks, ticks);
        }
    }

    public void Increment(string counter, long by = 1)
    {
        CounterEntry entry = _counters.GetOrAdd(counter, static _ => new CounterEntry());
        lock (entry.Gate)
        {
            entry.Cell.Interval += by;
        }

        _recorded = true;
    }

    /// <summary>Totals since the start (<paramref name="harvest"/> false) or the delta since the last harvest, which it resets.</summary>
    public MetricsSnapshot Collect(bool harvest, DateTimeOffset start, DateTimeOffset end)
    {
        var unscoped = new Dictionary<string, MetricStats>(StringComparer.Ordinal);
        var scoped = new Dictionary<(string, string), MetricStats>();
        var apdex = new Dictionary<string, ApdexStats>(StringComparer.Ordinal);
        TimeSpan threshold = _application.Options.ApdexThreshold;
        var web = new Rollup(TransactionKind.Web);
        var other = new Rollup(TransactionKind.Background);

        foreach (TransactionEntry entry in _transactions.Values.Concat(_overflow.Values))
        {
            lock (entry.Gate)
            {
                Stats stats = harvest ? entry.Duration.Harvest() : entry.Duration.Totals;
                ApdexCounts counts = harvest ? entry.Apdex.Harvest() : entry.Apdex.Totals;
                long entryErrors = harvest ? entry.Errors.Harvest() : entry.Errors.Totals;
                (entry.Kind == TransactionKind.Web ? ref web : ref other).Add(stats, counts, entryErrors);
                if (stats.Count > 0)
                {
                    unscoped[entry.MetricName] = stats.ToPublic();
                    unscoped[entry.TotalTimeName] = stats.ToTotalTime();
                }

                if (entry.ApdexName is not null && counts.Count > 0)
                {
                    apdex[entry.ApdexName] = counts.ToPublic(threshold);
                }

                if (entryErrors > 0)
                {
                    unscoped[entry.ErrorsName] = CountStats(entryErrors);
                }

                entry.CollectScopedSegments(harvest, scoped);
            }
        }

        long errors = web.WriteTo(unscoped, apdex, threshold) + other.WriteTo(unscoped, apdex, threshold);
        if (errors > 0)
        {
            unscoped["Errors/all"] = CountStats(errors);
        }

        foreach (SegmentEntry segment in _segments.Values)
        {
            lock (segment.Gate)
            {
                Stats stats = harvest ? segment.Cell.Harvest() : segment.Cell.Totals;
                if (stats.Count > 0)
                {
                    unscoped[segment.MetricName] = stats.ToPublic();
                }
            }
        }

        foreach (KeyValuePair<string, CounterEntry> counter in _counters)
        {
            lock (counter.Value.Gate)
            {
                long count = harvest ? counter.Value.Cell.Harvest() : counter.Value.Cell.Totals;
                if (count > 0)
                {
                    unscoped[counter.Key] = CountStats(count);
                }
            }
        }

        return new MetricsSnapshot(_application.Name, start, end, unscoped, scoped, apdex);
    }

    /// <summary>The totals of every transaction name, for the dashboard.</summary>
    public List<TransactionSummary> Summaries()
    {
        var summaries = new List<TransactionSummary>();
        TimeSpan threshold = _application.Options.ApdexThreshold;
        foreach (TransactionEntry entry in _transactions.Values.Concat(_overflow.Values))
        {
            lock (entry.Gate)
            {
                Stats stats = entry.Duration.Totals;
                if (stats.Count > 0)
                {
                    ApdexCounts apdex = entry.Apdex.Totals;
                    summaries.Add(new TransactionSummary(entry.Kind, entry.Group, entry.Name, entry.MetricName, stats.ToPublic(),
                        entry.ApdexName is null ? null : apdex.ToPublic(threshold), entry.Errors.Totals));
                }
            }
        }

        return summaries;
    }

    /// <summary>One transaction name's totals, duration histogram and slowest recent traces; null when unknown.</summary>
    public TransactionDetail? Detail(string metricName, DateTimeOffset now)
    {
        TimeSpan threshold = _application.Options.ApdexThreshold;
        foreach (TransactionEntry entry in _transactions.Values.Concat(_overflow.Values))
        {
            if (entry.MetricName != metricName)
            {
                continue;
            }

            lock (entry.Gate)
            {
                Stats stats = entry.Duration.Totals;
                var summary = new TransactionSummary(entry.Kind, entry.Group, entry.Name, entry.MetricName, stats.ToPublic(),
                    entry.ApdexName is null ? null : entry.Apdex.Totals.ToPublic(threshold), entry.Errors.Totals);
                return new TransactionDetail(summary, entry.Histogram.Counts(), entry.Slowest.Snapshot(now));
            }
        }

        return null;
    }

    internal static MetricStats CountStats(long count) => new(count, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, 0);

    private readonly record struct NameKey(TransactionKind Kind, string Group, string Name);

    /// <summary>The per-kind rollups: WebTransaction/HttpDispatcher/Apdex or OtherTransaction/all, and their error counts.</summary>
    private struct Rollup(TransactionKind kind)
    {
        private Stats _duration;
        private ApdexCounts _apdex;
        private long _errors;

        public void Add(in Stats duration, in ApdexCounts apdex, long errors)
        {
            _duration.Add(duration);
            _apdex.Add(apdex);
            _errors += errors;
        }

        /// <summary>Writes the rollup's metrics; returns its error count.</summary>
        public readonly long WriteTo(Dictionary<string, MetricStats> unscoped, Dictionary<string, ApdexStats> apdex, TimeSpan threshold)
        {
            bool web = kind == TransactionKind.Web;
            if (_duration.Count > 0)
            {
                if (web)
                {
                    unscoped["WebTransaction"] = _duration.ToPublic();
                    unscoped["HttpDispatcher"] = _duration.ToPublic();
                    unscoped["WebTransactionTotalTime"] = _duration.ToTotalTime();
                }
                else
                {
                    unscoped["OtherTransaction/all"] = _duration.ToPublic();
                    unscoped["OtherTransactionTotalTime"] = _duration.ToTotalTime();
                }
            }

            if (web && _apdex.Count > 0)
            {
                apdex["Apdex"] = _apdex.ToPublic(threshold);
            }

            if (_errors > 0)
            {
                unscoped[web ? "Errors/allWeb" : "Errors/allOther"] = CountStats(_errors);
            }

            return _errors;
        }
    }
}

/// <summary>One transaction name's totals with its histogram counts (see <see cref="DurationHistogram.UpperBoundsMs"/>) and slowest traces.</summary>
internal sealed record TransactionDetail(TransactionSummary Summary, long[] Histogram, TraceSample[] Slowest);

/// <summary>One transaction name's totals.</summary>
internal sealed record TransactionSummary(TransactionKind Kind, string Group, string Name, string MetricName, MetricStats Stats, ApdexStats? Apdex, long Errors);

/// <summary>A finished segment waiting for its transaction to end (its scope is the transaction's final name).</summary>
internal readonly record struct SegmentRecord(SegmentEntry Entry, long Duration, long Exclusive, long StartOffset, int Depth);
