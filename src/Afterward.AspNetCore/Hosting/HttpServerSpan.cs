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
    /// <summary>
    /// Tags the request's span unless something else did (its method tag is there). The tags are added, not set:
    /// none of them is there yet, so each skips the search through the tags so far that setting one costs.
    /// </summary>
    public static void Enrich(HttpContext context, Activity? activity, Exception? exception, Endpoint? endpoint)
    {
        if (activity is null || !activity.IsAllDataRequested || activity.GetTagItem("http.request.method") is not null)
        {
            return;
        }

        HttpRequest request = context.Request;
        string method = request.Method;
        EndpointNames? names = endpoint is RouteEndpoint ? TransactionNamer.Of(endpoint) : null;
        string? route = names?.Route;
        int status = exception is null ? context.Response.StatusCode : StatusCodes.Status500InternalServerError;
        activity.DisplayName = route is null ? method : names!.SpanName(method);
        activity.AddTag("http.request.method", method);
        activity.AddTag("url.scheme", request.Scheme);
        activity.AddTag("url.path", request.Path.Value);
        activity.AddTag("server.address", request.Host.Host);
        if (request.Host.Port is { } port)
        {
            activity.AddTag("server.port", port);
        }

        activity.AddTag("network.protocol.version", ProtocolVersion(request.Protocol));
        if (route is not null)
        {
            activity.AddTag("http.route", route);
        }

        activity.AddTag("http.response.status_code", status);
        if (exception is not null)
        {
            activity.AddTag("error.type", exception.GetType().FullName);
        }
        else if (status >= 500)
        {
            activity.AddTag("error.type", status.ToString(CultureInfo.InvariantCulture));
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
