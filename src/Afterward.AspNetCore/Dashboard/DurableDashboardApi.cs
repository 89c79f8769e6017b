using System.Text.Encodings.Web;
using System.Text.Json;
using Afterward.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;

namespace Afterward.AspNetCore.Dashboard;

/// <summary>
/// The dashboard's durable-task API (PRODUCT.md §5), mapped when durable tasks are registered: counts from the
/// store (every instance's tasks), a task's detail, and Retry / Delete. State-changing calls refuse cross-site
/// requests: an <c>Origin</c> that is not the request's own scheme, host and port, or <c>Sec-Fetch-Site: cross-site</c>
/// (a call with neither header, such as curl's, is accepted).
/// </summary>
internal static class DurableDashboardApi
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.Default };

    public static void Map(RouteGroupBuilder group, IDurableTaskSource source)
    {
        group.MapGet("/api/durable", async (CancellationToken token) =>
        {
            DurableSummaryView s = await source.SummaryAsync(token).ConfigureAwait(false);
            return Json(new SummaryResponse(s.Store, s.Scheduled, s.Queued, s.Running, s.Retrying, s.Succeeded, s.Dead,
                [.. s.RecentDead.Select(static d => new DeadRow(d.Id, d.Name, d.Attempts, Truncate(d.LastError), d.At))]));
        });
        group.MapGet("/api/durable/{id}", async (string id, CancellationToken token) =>
            await source.GetAsync(id, token).ConfigureAwait(false) is { } t
                ? Json(new DetailResponse(t.Id, t.Name, t.State, t.Attempts, t.EnqueuedAt, t.StartedAt, t.CompletedAt, Truncate(t.LastError), t.Instance,
                    [.. t.Runs.Select(static r => new RunRow(r.Instance, r.StartedAt))]))
                : NotFound("No durable task has that id."));
        group.MapPost("/api/durable/{id}/retry", async (HttpContext context, string id, CancellationToken token) =>
            CrossSite(context) ?? (await source.RetryAsync(id, token).ConfigureAwait(false)
                ? Json(new ChangedResponse(id, "queued"))
                : NotFound("No dead durable task has that id; only a dead task can be retried.")));
        group.MapDelete("/api/durable/{id}", async (HttpContext context, string id, CancellationToken token) =>
            CrossSite(context) ?? (await source.DeleteAsync(id, token).ConfigureAwait(false)
                ? Json(new ChangedResponse(id, "deleted"))
                : NotFound("No durable task that is not running has that id.")));
    }

    /// <summary>403 for a request another site made a browser send; null when it is the page's own or a local tool's.</summary>
    internal static IResult? CrossSite(HttpContext context)
    {
        HttpRequest request = context.Request;
        if (request.Headers["Sec-Fetch-Site"] is StringValues site && string.Equals(site, "cross-site", StringComparison.OrdinalIgnoreCase))
        {
            return Forbidden();
        }

        if (request.Headers.Origin is { Count: > 0 } origin)
        {
            string own = request.Scheme + "://" + request.Host.Value;
            if (!string.Equals(origin.ToString(), own, StringComparison.OrdinalIgnoreCase))
            {
                return Forbidden();
            }
        }

        return null;
    }

    private static IResult Forbidden() => Json(new ErrorResponse("Cross-site requests may not change durable tasks: send it from the dashboard's own page, or from a tool without an Origin header."),
        StatusCodes.Status403Forbidden);

    private static IResult NotFound(string error) => Json(new ErrorResponse(error), StatusCodes.Status404NotFound);

    private static string? Truncate(string? text) => text is { Length: > 4096 } ? text[..4096] + "…" : text;

    private static IResult Json<T>(T value, int? statusCode = null) => Results.Json(value, JsonOptions, statusCode: statusCode);

    internal sealed record SummaryResponse(string Store, long Scheduled, long Queued, long Running, long Retrying, long Succeeded, long Dead, DeadRow[] RecentDead);

    internal sealed record DeadRow(string Id, string Name, int Attempts, string? LastError, DateTimeOffset At);

    internal sealed record DetailResponse(string Id, string Name, string State, int Attempts, DateTimeOffset EnqueuedAt, DateTimeOffset? StartedAt,
        DateTimeOffset? CompletedAt, string? LastError, string? Instance, RunRow[] Runs);

    internal sealed record RunRow(string Instance, DateTimeOffset StartedAt);

    internal sealed record ChangedResponse(string Id, string State);

    internal sealed record ErrorResponse(string Error);
}
