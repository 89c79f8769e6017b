using System.Net;
using Afterward.AspNetCore.Dashboard;
using Afterward.AspNetCore.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Afterward;

/// <summary>Maps the built-in dashboard.</summary>
public static class AfterwardDashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the dashboard page at <paramref name="pattern"/> and its read-only JSON API under
    /// <c>{pattern}/api/</c>. Served only to loopback clients (others get 403) unless an authorization policy is
    /// attached to the returned builder (<c>.RequireAuthorization(...)</c>). Its own requests are not recorded.
    /// Mapping it also lists running transactions for its in-flight view (an insert and a removal per transaction).
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="pattern">The route prefix; default <c>/afterward</c>.</param>
    public static RouteGroupBuilder MapAfterwardDashboard(this IEndpointRouteBuilder endpoints, string pattern = "/afterward")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        RouteGroupBuilder group = endpoints.MapGroup(pattern);
        group.WithMetadata(new DashboardEndpointMetadata());
        group.ExcludeFromDescription();
        group.AddEndpointFilter(static async (context, next) =>
        {
            HttpContext http = context.HttpContext;
            bool authorized = http.GetEndpoint()?.Metadata.GetMetadata<IAuthorizeData>() is not null;
            IPAddress? remote = http.Connection.RemoteIpAddress;
            if (!authorized && (remote is null || !IPAddress.IsLoopback(remote)))
            {
                return Results.Problem("The Afterward dashboard is served to loopback clients only; attach an authorization policy to open it.",
                    statusCode: StatusCodes.Status403Forbidden);
            }

            return await next(context).ConfigureAwait(false);
        });
        ApplicationRegistry.TrackInFlight = true;
        string page = DashboardPage.Render(pattern);
        group.MapGet("/", (HttpContext context) => DashboardPage.Serve(context, page));
        group.MapGet("/assets/{file}", static (HttpContext context, string file) => DashboardAssets.Serve(context, file));
        group.MapGet("/api/applications", DashboardApi.Applications);
        group.MapGet("/api/overview", static (string? app) => DashboardApi.Overview(app));
        group.MapGet("/api/transactions", static (string? app) => DashboardApi.Transactions(app));
        group.MapGet("/api/transaction", static (string? app, string? name) => DashboardApi.Transaction(app, name));
        group.MapGet("/api/inflight", static (string? app) => DashboardApi.InFlight(app));
        group.MapGet("/api/tasks", static (string? app) => DashboardApi.Tasks(app));
        return group;
    }
}
