using Afterward.AspNetCore.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Afterward;

/// <summary>Adds Afterward to an ASP.NET Core pipeline.</summary>
public static class AfterwardApplicationBuilderExtensions
{
    /// <summary>
    /// Records one web transaction per request and runs the request's <see cref="BackgroundTasks"/> after its
    /// response. Place it early (before routing-dependent middleware) so that it sees the whole request, and after
    /// an exception handler if you want handled errors to reach the client as pages.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>services.AddAfterward()</c> was not called.</exception>
    public static IApplicationBuilder UseAfterward(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ApplicationServices.GetService<Application>() is null)
        {
            throw new InvalidOperationException("app.UseAfterward() needs builder.Services.AddAfterward() first.");
        }

        return app.UseMiddleware<AfterwardMiddleware>();
    }
}
