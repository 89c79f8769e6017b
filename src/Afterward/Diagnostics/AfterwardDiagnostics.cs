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

    private static readonly string? Version = typeof(AfterwardDiagnostics).Assembly.GetName().Version?.ToString();

    public static readonly ActivitySource Source = new(Name, Version);

    public static readonly Meter Meter = new(Name, Version);

    public static readonly Histogram<double> TransactionDuration = Meter.CreateHistogram<double>(
        "afterward.transaction.duration", "s", "Duration of transactions, by kind (web, background) and metric name.");

    public static readonly Counter<long> Apdex = Meter.CreateCounter<long>(
        "afterward.apdex", "{transaction}", "Web transactions by Apdex zone (satisfying, tolerating, frustrating).");

    public static readonly Counter<long> Tasks = Meter.CreateCounter<long>(
        "afterward.tasks", "{task}", "Background tasks by outcome (completed, failed, skipped, abandoned, retried).");

    public static readonly ObservableGauge<long> TasksQueued = Meter.CreateObservableGauge(
        "afterward.tasks.queued", ObserveQueued, "{task}", "Background tasks waiting to run.");

    public static string KindValue(TransactionKind kind) => kind == TransactionKind.Web ? "web" : "background";

    private static IEnumerable<Measurement<long>> ObserveQueued()
    {
        foreach (Application application in ApplicationRegistry.All)
        {
            yield return new Measurement<long>(application.TaskCounters.Queued, new KeyValuePair<string, object?>(AppTag, application.Name));
        }
    }
}
