using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Afterward;

/// <summary>The OpenTelemetry-facing instruments: one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named "Afterward".</summary>
internal static class AfterwardDiagnostics
{
    public const string Name = "Afterward";
    public const string KindTag = "afterward.transaction.kind";
    public const string NameTag = "afterward.transaction.name";
    public const string AppTag = "afterward.app";
    public const string ZoneTag = "afterward.apdex.zone";
    public const string OutcomeTag = "afterward.task.outcome";

    private static readonly string? Version = typeof(AfterwardDiagnostics).Assembly.GetName().Version?.ToString();

    public static readonly ActivitySource Source = new(Name, Version);

    public static readonly Meter Meter = new(Name, Version);

    /// <summary>Bucket boundaries in seconds, from 5 ms to 10 min: background tasks run far longer than requests.</summary>
    public static readonly double[] DurationBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 120, 300, 600];

    public static readonly Histogram<double> TransactionDuration = Meter.CreateHistogram(
        "afterward.transaction.duration", "s", "Duration of transactions, by kind (web, background) and metric name.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>
    /// Observed from each application's counts rather than added per request: a counter's <c>Add</c> costs the
    /// listener's lookup of the point by its tags on every request, an increment costs a few nanoseconds.
    /// </summary>
    public static readonly ObservableCounter<long> Apdex = Meter.CreateObservableCounter(
        "afterward.apdex", ObserveApdex, "{transaction}", "Web transactions by Apdex zone (satisfying, tolerating, frustrating).");

    public static readonly Counter<long> Tasks = Meter.CreateCounter<long>(
        "afterward.tasks", "{task}", "Background tasks by outcome (completed, failed, skipped, abandoned, retried).");

    public static readonly ObservableGauge<long> TasksQueued = Meter.CreateObservableGauge(
        "afterward.tasks.queued", static () => Observe(static counters => counters.Queued), "{task}", "Background tasks waiting to run.");

    public static readonly ObservableGauge<long> TasksRunning = Meter.CreateObservableGauge(
        "afterward.tasks.running", static () => Observe(static counters => counters.Running), "{task}", "Background tasks running now.");

    public static string KindValue(TransactionKind kind) => kind == TransactionKind.Web ? "web" : "background";

    private static readonly string[] ZoneNames = ["satisfying", "tolerating", "frustrating"];

    private static IEnumerable<Measurement<long>> ObserveApdex()
    {
        foreach (Application application in ApplicationRegistry.All)
        {
            for (int zone = 0; zone < ZoneNames.Length; zone++)
            {
                // A zone shows from its first transaction on, as a counter's point shows from its first Add.
                if (application.ApdexCounters.Read((Metrics.ApdexZone)zone) is var count and > 0)
                {
                    yield return new Measurement<long>(count,
                        new KeyValuePair<string, object?>(ZoneTag, ZoneNames[zone]), new KeyValuePair<string, object?>(AppTag, application.Name));
                }
            }
        }
    }

    private static IEnumerable<Measurement<long>> Observe(Func<Tasks.TaskCounterCells, long> read)
    {
        foreach (Application application in ApplicationRegistry.All)
        {
            yield return new Measurement<long>(read(application.TaskCells), new KeyValuePair<string, object?>(AppTag, application.Name));
        }
    }
}
