using System.Text.Encodings.Web;
using System.Text.Json;
using Afterward.Metrics;
using Microsoft.AspNetCore.Http;

namespace Afterward.AspNetCore.Dashboard;

/// <summary>The dashboard's JSON API; field names are part of the contract (PRODUCT.md §2 Dashboard).</summary>
internal static class DashboardApi
{
    private const int MaxRows = 500;
    private const int MaxNameLength = 255;

    /// <summary>
    /// Names and messages come from the application and its users: escape everything HTML-sensitive in the JSON too
    /// (<c>&lt;</c> as <c>\u003C</c>), so that no consumer can mistake a value for markup.
    /// </summary>
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.Default };

    public static IResult Applications() =>
        Json(Agent.Applications().Select(static a => new ApplicationRow(a.Name)).ToArray());

    public static IResult Transactions(string? app)
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

    public static IResult Tasks(string? app)
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

    /// <summary>Blank → the default application (the host's); otherwise the one of that exact name.</summary>
    private static Application? Find(string? app)
    {
        IReadOnlyList<Application> applications = Agent.Applications();
        if (string.IsNullOrWhiteSpace(app))
        {
            string preferred = ApplicationRegistry.DefaultName;
            return applications.FirstOrDefault(a => a.Name == preferred) ?? applications.FirstOrDefault();
        }

        return applications.FirstOrDefault(a => a.Name == app);
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
