using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Afterward.AspNetCore.Hosting;

/// <summary>
/// ASP.NET Core's request activity carries no HTTP attributes of its own (the OpenTelemetry instrumentation package
/// adds them). When nothing else did, Afterward sets the stable HTTP server semantic conventions and the span name
/// <c>{method} {route}</c>, which is what backends group server spans by (New Relic needs
/// <c>http.request.method</c> to see a web transaction).
/// </summary>
internal static class HttpServerSpan
{
    public static void Enrich(HttpContext context, Activity? activity, Exception? exception)
    {
        if (activity is null || !activity.IsAllDataRequested || activity.GetTagItem("http.request.method") is not null)
        {
            return;
        }

        HttpRequest request = context.Request;
        string method = request.Method;
        string? route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        if (route is not null && !route.StartsWith('/'))
        {
            route = "/" + route;
        }

        int status = exception is null ? context.Response.StatusCode : StatusCodes.Status500InternalServerError;
        activity.DisplayName = route is null ? method : method + " " + route;
        activity.SetTag("http.request.method", method);
        activity.SetTag("url.scheme", request.Scheme);
        activity.SetTag("url.path", request.Path.Value);
        activity.SetTag("server.address", request.Host.Host);
        if (request.Host.Port is { } port)
        {
            activity.SetTag("server.port", port);
        }

        activity.SetTag("network.protocol.version", ProtocolVersion(request.Protocol));
        if (route is not null)
        {
            activity.SetTag("http.route", route);
        }

        activity.SetTag("http.response.status_code", status);
        if (exception is not null)
        {
            activity.SetTag("error.type", exception.GetType().FullName);
        }
        else if (status >= 500)
        {
            activity.SetTag("error.type", status.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static string ProtocolVersion(string protocol) => protocol switch
    {
        "HTTP/1.1" => "1.1",
        "HTTP/2" => "2",
        "HTTP/3" => "3",
        "HTTP/1.0" => "1.0",
        _ => protocol,
    };
}
