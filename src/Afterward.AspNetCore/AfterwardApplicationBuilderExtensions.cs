using Afterward;
using Afterward.AspNetCore.Hosting;
using Afterward.DependencyInjection;
using Afterward.Export;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds Afterward to an ASP.NET Core pipeline.</summary>
public static class AfterwardApplicationBuilderExtensions
{
    /// <summary>
    /// Records one web transaction per request and runs the request's <see cref="BackgroundTasks"/> after its
    /// response. Place it early (before routing-dependent middleware) so that it sees the whole request, and after
    /// an exception handler if you want handled errors to reach the client as pages. Also turns on OTLP export for
    /// this host when an endpoint is configured (<see cref="OtlpOptions"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>services.AddAfterward()</c> was not called.</exception>
    public static IApplicationBuilder UseAfterward(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ApplicationServices.GetService<AfterwardHostedService>() is not { } host)
        {
            throw new InvalidOperationException("app.UseAfterward() needs builder.Services.AddAfterward() first.");
        }

        host.UseExporter(OtlpExporter.Instance);
        return app.UseMiddleware<AfterwardMiddleware>();
    }
}
