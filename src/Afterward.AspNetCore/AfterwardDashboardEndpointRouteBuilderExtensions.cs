using Afterward;
using Afterward.AspNetCore.Dashboard;
using Afterward.AspNetCore.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the built-in dashboard.</summary>
public static class AfterwardDashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the dashboard page at <paramref name="pattern"/> and its JSON API under
    /// <c>{pattern}/api/</c> (with the durable-task section and its Retry / Delete calls when durable tasks are
    /// registered). Served only to requests on the server itself (loopback remote and local addresses, no forwarding
    /// header, a <c>localhost</c> or loopback <c>Host</c>; others get 403 saying why) unless an authorization policy is
    /// attached to the returned builder (<c>.RequireAuthorization(...)</c>). Its own requests are not recorded.
    /// Mapping it also lists the host's running transactions for its in-flight view (an insert and a removal per
    /// transaction).
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>services.AddAfterward()</c> was not called.</exception>
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
            if (!authorized && DashboardAccess.WhyRefused(http) is { } refused)
            {
                return Results.Problem(refused, statusCode: StatusCodes.Status403Forbidden);
            }

            return await next(context).ConfigureAwait(false);
        });
        Application host = endpoints.ServiceProvider.GetService<Application>()
            ?? throw new InvalidOperationException("app.MapAfterwardDashboard() needs builder.Services.AddAfterward() first.");
        host.InFlightSet.Track();
        var api = new DashboardApi(host);
        string page = DashboardPage.Render(pattern);
        group.MapGet("/", (HttpContext context) => DashboardPage.Serve(context, page));
        group.MapGet("/assets/{file}", static (HttpContext context, string file) => DashboardAssets.Serve(context, file));
        group.MapGet("/api/applications", api.Applications);
        group.MapGet("/api/overview", (string? app) => api.Overview(app));
        group.MapGet("/api/transactions", (string? app) => api.Transactions(app));
        group.MapGet("/api/transaction", (string? app, string? name) => api.Transaction(app, name));
        group.MapGet("/api/inflight", (string? app) => api.InFlight(app));
        group.MapGet("/api/tasks", (string? app) => api.Tasks(app));
        if (endpoints.ServiceProvider.GetService<Afterward.Tasks.IDurableTaskSource>() is { } durable)
        {
            DurableDashboardApi.Map(group, durable);
        }

        return group;
    }
}
