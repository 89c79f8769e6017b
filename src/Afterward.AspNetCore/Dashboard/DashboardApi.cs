using System.Text.Encodings.Web;
using System.Text.Json;
using Afterward.Metrics;
using Microsoft.AspNetCore.Http;

namespace Afterward.AspNetCore.Dashboard;

/// <summary>
/// The dashboard's JSON API over its host's application and every application of the process found by name;
/// field names are part of the contract (PRODUCT.md §2 Dashboard).
/// </summary>
internal sealed class DashboardApi(Application host)
{
    private const int MaxRows = 500;
    private const int MaxInFlightRows = 200;
    private const int MaxNameLength = 255;

    /// <summary>
    /// Names and messages come from the application and its users: escape everything HTML-sensitive in the JSON too
    /// (<c>&lt;</c> as <c>\u003C</c>), so that no consumer can mistake a value for markup.
    /// </summary>
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.Default };

    public IResult Applications() =>
        Json(Agent.Applications().Select(static a => new ApplicationRow(a.Name)).ToArray());

    public IResult Transactions(string? app)
    {
        if (Invalid(app) is { } invalid)
        {
            return invalid;
        }

        if (Find(app) is not { } application)
        {
            return UnknownApplication(app);
        }

        List<TransactionSummary> summaries = application.Metrics.Summaries();
        return Json(new TransactionsResponse(Rows(summaries, TransactionKind.Web), Rows(summaries, TransactionKind.Background)));
    }

    public IResult Tasks(string? app)
    {
        if (Invalid(app) is { } invalid)
        {
            return invalid;
        }

        if (Find(app) is not { } application)
        {
            return UnknownApplication(app);
        }

        BackgroundTaskCounters c = application.TaskCounters;
        return Json(new TasksResponse(c.Queued, c.Running, c.Completed, c.Failed, c.Skipped, c.Abandoned, c.Retried,
            [.. c.RecentFailures.Reverse().Select(static f => new FailureRow(f.Task, f.ExceptionType, f.Message, f.At))]));
    }

    /// <summary>A name no application can have: 400 with the reason (names are at most 255 characters, no control characters).</summary>
    private static IResult? Invalid(string? app)
    {
        if (app is null)
        {
            return null;
        }

        if (app.Length > MaxNameLength)
        {
            return Json(new ErrorResponse($"The app parameter must be at most {MaxNameLength} characters; it had {app.Length}.", null),
                statusCode: StatusCodes.Status400BadRequest);
        }

        return app.Any(char.IsControl)
            ? Json(new ErrorResponse("The app parameter must not contain control characters.", null), statusCode: StatusCodes.Status400BadRequest)
            : null;
    }

    /// <summary>The figures of the last 30 minutes (or since start) and their 10-second timeline, for the cards and charts.</summary>
    public IResult Overview(string? app)
    {
        if (Invalid(app) is { } invalid)
        {
            return invalid;
        }

        if (Find(app) is not { } application)
        {
            return UnknownApplication(app);
        }

        DateTimeOffset now = application.Time.GetUtcNow();
        TimelinePoint[] points = application.Timeline.Read(now);
        TimeSpan window = TimeSpan.FromTicks(Math.Clamp((now - application.StartedAt).Ticks, TimeSpan.TicksPerSecond * 10, Timeline.Resolution.Ticks * Timeline.Slots));
        DateTimeOffset from = now - window;
        long webCount = 0, webErrors = 0, satisfying = 0, tolerating = 0, frustrating = 0, backgroundCount = 0, backgroundErrors = 0;
        double webMs = 0, backgroundMs = 0;
        foreach (TimelinePoint p in points)
        {
            if (p.Start + Timeline.Resolution <= from)
            {
                continue;
            }

            webCount += p.WebCount;
            webMs += p.WebTotalMs;
            webErrors += p.WebErrors;
            satisfying += p.Satisfying;
            tolerating += p.Tolerating;
            frustrating += p.Frustrating;
            backgroundCount += p.BackgroundCount;
            backgroundMs += p.BackgroundTotalMs;
            backgroundErrors += p.BackgroundErrors;
        }

        double minutes = window.TotalMinutes;
        long apdexCount = satisfying + tolerating + frustrating;
        AfterwardOptions options = application.Options;
        return Json(new OverviewResponse(
            application.Name,
            options.ApdexThreshold.TotalMilliseconds,
            options.MaxTransactionDuration.TotalMilliseconds,
            Math.Round(minutes, 2),
            new WebFigures(webCount, webCount / minutes, Average(webMs, webCount), Rate(webErrors, webCount),
                apdexCount == 0 ? null : new ApdexRow(Score(satisfying, tolerating, apdexCount), satisfying, tolerating, frustrating)),
            new BackgroundFigures(backgroundCount, backgroundCount / minutes, Average(backgroundMs, backgroundCount), Rate(backgroundErrors, backgroundCount)),
            new TimelineResponse((int)Timeline.Resolution.TotalSeconds, [.. points.Select(static p =>
            {
                long apdex = p.Satisfying + p.Tolerating + p.Frustrating;
                return new TimelineRow(p.Start.ToUnixTimeSeconds(), p.WebCount, Average(p.WebTotalMs, p.WebCount), p.WebErrors,
                    apdex == 0 ? null : Score(p.Satisfying, p.Tolerating, apdex),
                    p.BackgroundCount, Average(p.BackgroundTotalMs, p.BackgroundCount), p.BackgroundErrors);
            })])));
    }

    /// <summary>One transaction: totals, percentiles, histogram and the slowest recent traces with their segments.</summary>
    public IResult Transaction(string? app, string? name)
    {
        if (Invalid(app) is { } invalid)
        {
            return invalid;
        }

        if (string.IsNullOrEmpty(name) || name.Length > 2 * MaxNameLength + 64)
        {
            return Json(new ErrorResponse("The name parameter must be a transaction's metric name, as listed by api/transactions.", null),
                statusCode: StatusCodes.Status400BadRequest);
        }

        if (Find(app) is not { } application)
        {
            return UnknownApplication(app);
        }

        if (application.Metrics.Detail(name, application.Time.GetUtcNow()) is not { } detail)
        {
            return Json(new ErrorResponse("No transaction of that name was recorded.", null), statusCode: StatusCodes.Status404NotFound);
        }

        TransactionSummary s = detail.Summary;
        double min = s.Stats.Min.TotalMilliseconds, max = s.Stats.Max.TotalMilliseconds;
        double[] bounds = DurationHistogram.UpperBoundsMs;
        return Json(new TransactionDetailResponse(
            Row(s),
            s.Kind == TransactionKind.Web ? "web" : "background",
            DurationHistogram.Percentile(detail.Histogram, 0.50, min, max),
            DurationHistogram.Percentile(detail.Histogram, 0.95, min, max),
            DurationHistogram.Percentile(detail.Histogram, 0.99, min, max),
            [.. detail.Histogram.Select((count, i) => new BucketRow(i < bounds.Length ? bounds[i] : null, count))],
            [.. detail.Slowest.Select(static t => new TraceRow(t.EndedAt, t.DurationMs, t.Error, t.TraceId,
                [.. t.Segments.Select(static g => new SegmentRow(g.Name, g.StartMs, g.DurationMs, g.Depth))]))]));
    }

    /// <summary>Transactions running now, oldest first, flagged when older than MaxTransactionDuration.</summary>
    public IResult InFlight(string? app)
    {
        if (Invalid(app) is { } invalid)
        {
            return invalid;
        }

        if (Find(app) is not { } application)
        {
            return UnknownApplication(app);
        }

        TimeSpan limit = application.Options.MaxTransactionDuration;
        // Requests start under the host's application (and may report under another); tasks under their own.
        application.InFlightSet.Track();
        IEnumerable<Afterward.Transaction> started = application == host ? host.InFlightSet.Running : host.InFlightSet.Running.Concat(application.InFlightSet.Running);
        Afterward.Transaction[] running = [.. started.Distinct().Where(t => !t.IsIgnored && !t.IsEnded && t.Application == application)];
        InFlightRow[] rows =
        [
            .. running.Select(static t => (Transaction: t, Age: t.Elapsed))
                .OrderByDescending(static r => r.Age)
                .Take(MaxInFlightRows)
                .Select(r => new InFlightRow(r.Transaction.MetricName, r.Transaction.Kind == TransactionKind.Web ? "web" : "background",
                    r.Age.TotalMilliseconds, r.Age > limit, r.Transaction.Activity?.TraceId.ToHexString())),
        ];
        return Json(new InFlightResponse(limit.TotalMilliseconds, running.Length, rows));
    }

    private static double Average(double totalMs, long count) => count == 0 ? 0 : totalMs / count;

    private static double Rate(long errors, long count) => count == 0 ? 0 : errors / (double)count;

    private static double Score(long satisfying, long tolerating, long count) => Math.Round((satisfying + tolerating / 2.0) / count, 3);

    /// <summary>Blank → the host's application; otherwise the one of that exact name that has recorded something.</summary>
    private Application? Find(string? app)
    {
        if (string.IsNullOrWhiteSpace(app))
        {
            return host;
        }

        return app == host.Name ? host : Agent.Applications().FirstOrDefault(a => a.Name == app);
    }

    private static IResult UnknownApplication(string? app) =>
        Json(new ErrorResponse("No application has recorded anything under that name.", app), statusCode: StatusCodes.Status404NotFound);

    private static IResult Json<T>(T value, int? statusCode = null) => Results.Json(value, JsonOptions, statusCode: statusCode);

    internal sealed record ErrorResponse(string Error, string? App);

    private static TransactionRow[] Rows(List<TransactionSummary> summaries, TransactionKind kind) =>
    [
        .. summaries.Where(s => s.Kind == kind)
            .OrderByDescending(static s => s.Stats.Total)
            .Take(MaxRows)
            .Select(Row),
    ];

    private static TransactionRow Row(TransactionSummary s) => new(
        s.MetricName, s.Group, s.Name, s.Stats.CallCount,
        s.Stats.Average.TotalMilliseconds, s.Stats.Min.TotalMilliseconds, s.Stats.Max.TotalMilliseconds, s.Stats.Total.TotalMilliseconds,
        s.Errors,
        s.Apdex is { } a ? new ApdexRow(a.Score ?? 1, a.Satisfying, a.Tolerating, a.Frustrating) : null);

    internal sealed record ApplicationRow(string Name);

    internal sealed record TransactionsResponse(TransactionRow[] Web, TransactionRow[] Background);

    internal sealed record TransactionRow(string MetricName, string Group, string Name, long Count, double AverageMs, double MinMs, double MaxMs, double TotalMs, long Errors, ApdexRow? Apdex);

    internal sealed record ApdexRow(double Score, long Satisfying, long Tolerating, long Frustrating);

    internal sealed record TasksResponse(long Queued, long Running, long Completed, long Failed, long Skipped, long Abandoned, long Retried, FailureRow[] RecentFailures);

    internal sealed record OverviewResponse(string App, double ApdexThresholdMs, double MaxTransactionDurationMs, double WindowMinutes,
        WebFigures Web, BackgroundFigures Background, TimelineResponse Timeline);

    internal sealed record WebFigures(long Count, double ThroughputRpm, double AverageMs, double ErrorRate, ApdexRow? Apdex);

    internal sealed record BackgroundFigures(long Count, double ThroughputRpm, double AverageMs, double ErrorRate);

    internal sealed record TimelineResponse(int IntervalSeconds, TimelineRow[] Points);

    internal sealed record TimelineRow(long Time, long WebCount, double WebAverageMs, long WebErrors, double? Apdex,
        long BackgroundCount, double BackgroundAverageMs, long BackgroundErrors);

    internal sealed record TransactionDetailResponse(TransactionRow Transaction, string Kind, double P50Ms, double P95Ms, double P99Ms,
        BucketRow[] Histogram, TraceRow[] Slowest);

    internal sealed record BucketRow(double? UpToMs, long Count);

    internal sealed record TraceRow(DateTimeOffset EndedAt, double DurationMs, bool Error, string? TraceId, SegmentRow[] Segments);

    internal sealed record SegmentRow(string Name, double StartMs, double DurationMs, int Depth);

    internal sealed record InFlightResponse(double MaxTransactionDurationMs, int Count, InFlightRow[] Transactions);

    internal sealed record InFlightRow(string Name, string Kind, double AgeMs, bool OverLimit, string? TraceId);

    internal sealed record FailureRow(string Task, string ExceptionType, string Message, DateTimeOffset At);
}
