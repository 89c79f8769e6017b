using System.Runtime.InteropServices;

namespace Afterward.Metrics;

/// <summary>
/// The aggregated metrics of one transaction name (kind, group, name): its own metric, TotalTime, Apdex, errors and
/// the segments scoped to it. The metric name strings are built once, so recording allocates nothing.
/// </summary>
internal sealed class TransactionEntry
{
    public TransactionEntry(TransactionKind kind, string group, string name)
    {
        Kind = kind;
        Group = group;
        Name = name;
        string prefix = kind == TransactionKind.Web ? "WebTransaction" : "OtherTransaction";
        string suffix = group + "/" + name;
        MetricName = prefix + "/" + suffix;
        TotalTimeName = prefix + "TotalTime/" + suffix;
        ApdexName = kind == TransactionKind.Web ? "Apdex/" + suffix : null;
        ErrorsName = "Errors/" + MetricName;
    }

    public TransactionKind Kind { get; }

    public string Group { get; }

    public string Name { get; }

    public string MetricName { get; }

    public string TotalTimeName { get; }

    public string? ApdexName { get; }

    public string ErrorsName { get; }

    public Lock Gate { get; } = new();

    public MetricCell Duration;

    public ApdexCell Apdex;

    public CountCell Errors;

    /// <summary>Durations since the start, for percentiles.</summary>
    public DurationHistogram Histogram { get; } = new();

    /// <summary>The slowest recent executions with their segments.</summary>
    public SlowTraces Slowest { get; } = new();

    private Dictionary<SegmentEntry, MetricCell>? _segments;

    /// <summary>Records a segment scoped to this transaction; the caller holds <see cref="Gate"/>.</summary>
    public void RecordScopedSegment(SegmentEntry segment, long duration, long exclusive)
    {
        _segments ??= [];
        ref MetricCell cell = ref CollectionsMarshal.GetValueRefOrAddDefault(_segments, segment, out _);
        cell.Interval.Record(duration, exclusive);
    }

    /// <summary>Adds stats aggregated beforehand (the segments a transaction did not keep for its trace).</summary>
    public void RecordScopedSegment(SegmentEntry segment, in Stats stats)
    {
        _segments ??= [];
        ref MetricCell cell = ref CollectionsMarshal.GetValueRefOrAddDefault(_segments, segment, out _);
        cell.Interval.Add(stats);
    }

    /// <summary>The scoped segments' stats; the caller holds <see cref="Gate"/>.</summary>
    public void CollectScopedSegments(bool harvest, Dictionary<(string, string), MetricStats> into)
    {
        if (_segments is null)
        {
            return;
        }

        foreach (SegmentEntry key in _segments.Keys)
        {
            ref MetricCell cell = ref CollectionsMarshal.GetValueRefOrNullRef(_segments, key);
            Stats stats = harvest ? cell.Harvest() : cell.Totals;
            if (stats.Count > 0)
            {
                into[(MetricName, key.MetricName)] = stats.ToPublic();
            }
        }
    }
}

/// <summary>One segment metric, <c>{group}/{name}</c>, recorded unscoped.</summary>
internal sealed class SegmentEntry(string metricName)
{
    public string MetricName { get; } = metricName;

    public Lock Gate { get; } = new();

    public MetricCell Cell;
}

/// <summary>A counter such as <c>Supportability/Transaction/Dropped/TooLong</c>.</summary>
internal sealed class CounterEntry
{
    public Lock Gate { get; } = new();

    public CountCell Cell;
}
