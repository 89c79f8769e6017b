using System.Diagnostics;
using Afterward.Metrics;

namespace Afterward.Transactions;

/// <summary>
/// A transaction's end of life: its metrics, Apdex, timeline point, instruments and activity tags, recorded once
/// from the state <see cref="Transaction"/> kept while it ran (as ASP.NET Core keeps
/// <c>HostingApplicationDiagnostics</c> apart from the request's context).
/// </summary>
internal static class TransactionRecorder
{
    private const string QueueWaitTag = "afterward.task.queue_wait_ms";
    private const string IgnoredTag = "afterward.transaction.ignored";

    /// <summary>Segments left out of traces past <see cref="Transaction.MaxSegments"/> (their timing metrics are exact).</summary>
    internal const string DroppedSegmentsMetric = "Supportability/Transaction/Segments/Dropped";

    public static void Record(Transaction transaction)
    {
        Application application = transaction.Application;
        TimeProvider time = application.Time;
        long endTimestamp = time.GetTimestamp();
        long duration = time.GetElapsedTime(transaction.StartTimestamp, endTimestamp).Ticks;
        TransactionKind kind = transaction.Kind;
        Transaction.EndState state = transaction.TakeEndState();
        try
        {
            Record(transaction, application, state, endTimestamp, duration, kind);
        }
        finally
        {
            state.Segments.Release();
        }
    }

    private static void Record(Transaction transaction, Application application, in Transaction.EndState state, long endTimestamp, long duration,
        TransactionKind kind)
    {
        if (state.Ignored)
        {
            StopActivity(transaction, state, null, kind);
            return;
        }

        AfterwardOptions options = application.Options;
        if (duration > options.MaxTransactionDuration.Ticks)
        {
            application.Metrics.Increment(MetricAggregator.TooLongMetric);
            Log.TransactionTooLong(application.Logger, transaction.MetricName, TimeSpan.FromTicks(duration), options.MaxTransactionDuration);
            StopActivity(transaction, state, null, kind);
            return;
        }

        long exclusive = duration - ChildIntervals.MeasureDirectChildren(state.Segments.Records, state.DroppedChildren, duration);

        ApdexZone? zone = null;
        if (kind == TransactionKind.Web && !state.ApdexSuppressed)
        {
            long threshold = options.ApdexThreshold.Ticks;
            zone = state.Failed || duration > 4 * threshold ? ApdexZone.Frustrating
                : duration > threshold ? ApdexZone.Tolerating
                : ApdexZone.Satisfying;
        }

        TransactionEntry entry = transaction.ResolveEntry(kind);
        DateTimeOffset endedAt = application.UtcAt(endTimestamp);
        application.Metrics.RecordTransaction(entry, Math.Max(0, duration), Math.Max(0, exclusive), zone, state.Failed, state.Segments.Records, endedAt, transaction.Activity, state.Untraced);
        application.Timeline.Record(kind, Math.Max(0, duration), zone, state.Failed, endedAt);
        if (transaction.QueueWait is { } wait)
        {
            application.Metrics.RecordQueueTime(wait.Ticks);
        }

        if (transaction.DroppedSegments > 0)
        {
            application.Metrics.Increment(DroppedSegmentsMetric, transaction.DroppedSegments);
        }

        RecordInstruments(application, entry, kind, duration, zone);
        StopActivity(transaction, state, entry.MetricName, kind);
    }

    private static void RecordInstruments(Application application, TransactionEntry entry, TransactionKind kind, long duration, ApdexZone? zone)
    {
        if (AfterwardDiagnostics.TransactionDuration.Enabled)
        {
            AfterwardDiagnostics.TransactionDuration.Record(
                duration / (double)TimeSpan.TicksPerSecond,
                new KeyValuePair<string, object?>(AfterwardDiagnostics.KindTag, AfterwardDiagnostics.KindValue(kind)),
                new KeyValuePair<string, object?>(AfterwardDiagnostics.NameTag, entry.MetricName),
                new KeyValuePair<string, object?>(AfterwardDiagnostics.AppTag, application.Name));
        }

        if (zone is { } z && AfterwardDiagnostics.Apdex.Enabled)
        {
            application.ApdexCounters.Add(z);
        }
    }

    private static void StopActivity(Transaction transaction, in Transaction.EndState state, string? metricName, TransactionKind kind)
    {
        Activity? activity = transaction.Activity;
        if (activity is null)
        {
            return;
        }

        if (activity.IsAllDataRequested)
        {
            metricName ??= transaction.MetricName;
            activity.SetTag(AfterwardDiagnostics.KindTag, AfterwardDiagnostics.KindValue(kind));
            activity.SetTag(AfterwardDiagnostics.NameTag, metricName);
            activity.SetTag(AfterwardDiagnostics.AppTag, transaction.Application.Name);
            if (transaction.QueueWait is { } wait)
            {
                activity.SetTag(QueueWaitTag, wait.TotalMilliseconds);
            }

            if (state.Ignored)
            {
                activity.SetTag(IgnoredTag, true);
            }

            if (state.Failed)
            {
                activity.SetStatus(ActivityStatusCode.Error, state.Error?.Message);
                if (state.Error is not null)
                {
                    activity.AddException(state.Error);
                }
            }

            if (state.Attributes is { } attributes)
            {
                foreach (KeyValuePair<string, object?> attribute in attributes)
                {
                    activity.SetTag(attribute.Key, attribute.Value);
                }
            }

            if (state.OwnsActivity)
            {
                activity.DisplayName = metricName;
            }
        }

        if (state.OwnsActivity)
        {
            activity.Stop();
        }
    }
}
