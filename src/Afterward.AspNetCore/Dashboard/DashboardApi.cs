using Afterward.Metrics;
using Microsoft.AspNetCore.Http;

namespace Afterward.AspNetCore.Dashboard;

/// <summary>The dashboard's JSON API; field names are part of the contract (PRODUCT.md §2 Dashboard).</summary>
internal static class DashboardApi
{
    private const int MaxRows = 500;

    public static IResult Applications() =>
        Results.Json(Agent.Applications().Select(static a => new ApplicationRow(a.Name)).ToArray());

    public static IResult Transactions(string? app)
    {
        if (Find(app) is not { } application)
        {
            return UnknownApplication(app);
        }

        List<TransactionSummary> summaries = application.Metrics.Summaries();
        return Results.Json(new TransactionsResponse(Rows(summaries, TransactionKind.Web), Rows(summaries, TransactionKind.Background)));
    }

    public static IResult Tasks(string? app)
    {
        if (Find(app) is not { } application)
        {
            return UnknownApplication(app);
        }

        BackgroundTaskCounters c = application.TaskCounters;
        return Results.Json(new TasksResponse(c.Queued, c.Running, c.Completed, c.Failed, c.Skipped, c.Abandoned, c.Retried,
            [.. c.RecentFailures.Reverse().Select(static f => new FailureRow(f.Task, f.ExceptionType, f.Message, f.At))]));
    }

    private static Application? Find(string? app)
    {
        if (string.IsNullOrWhiteSpace(app) || app.Length > 255)
        {
            return Agent.Applications().FirstOrDefault();
        }

        return Agent.Applications().FirstOrDefault(a => a.Name == app);
    }

    private static IResult UnknownApplication(string? app) =>
        Results.Json(new { error = "No application has recorded anything under that name.", app = app?[..Math.Min(app.Length, 255)] }, statusCode: StatusCodes.Status404NotFound);

    private static TransactionRow[] Rows(List<TransactionSummary> summaries, TransactionKind kind) =>
    [
        .. summaries.Where(s => s.Kind == kind)
            .OrderByDescending(static s => s.Stats.Total)
            .Take(MaxRows)
            .Select(static s => new TransactionRow(
                s.MetricName, s.Group, s.Name, s.Stats.CallCount,
                s.Stats.Average.TotalMilliseconds, s.Stats.Min.TotalMilliseconds, s.Stats.Max.TotalMilliseconds, s.Stats.Total.TotalMilliseconds,
                s.Errors,
                s.Apdex is { } a ? new ApdexRow(a.Score ?? 1, a.Satisfying, a.Tolerating, a.Frustrating) : null)),
    ];

    internal sealed record ApplicationRow(string Name);

    internal sealed record TransactionsResponse(TransactionRow[] Web, TransactionRow[] Background);

    internal sealed record TransactionRow(string MetricName, string Group, string Name, long Count, double AverageMs, double MinMs, double MaxMs, double TotalMs, long Errors, ApdexRow? Apdex);

    internal sealed record ApdexRow(double Score, long Satisfying, long Tolerating, long Frustrating);

    internal sealed record TasksResponse(long Queued, long Running, long Completed, long Failed, long Skipped, long Abandoned, long Retried, FailureRow[] RecentFailures);

    internal sealed record FailureRow(string Task, string ExceptionType, string Message, DateTimeOffset At);
}
