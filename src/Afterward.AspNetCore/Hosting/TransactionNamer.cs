using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.AspNetCore.Routing;

namespace Afterward.AspNetCore.Hosting;

/// <summary>
/// Names a web transaction from its matched endpoint, never from the raw path (cardinality): minimal APIs
/// <c>Route/{METHOD} {pattern}</c>, MVC <c>MVC/{Controller}/{Action}</c>, nothing matched <c>StatusCode/{code}</c>.
/// </summary>
internal static class TransactionNamer
{
    private const int MaxCached = 10_000;
    private static readonly ConcurrentDictionary<(Endpoint, string), (string Group, string Name)> Cache = new();
    private static readonly string[] StatusCodes = [.. Enumerable.Range(0, 600).Select(static c => c.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    public static (string Group, string Name) For(HttpContext context, Endpoint? endpoint)
    {
        if (endpoint is null)
        {
            int code = context.Response.StatusCode;
            return ("StatusCode", (uint)code < StatusCodes.Length ? StatusCodes[code] : code.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        string method = KnownMethod(context.Request.Method);
        if (Cache.TryGetValue((endpoint, method), out (string, string) cached))
        {
            return cached;
        }

        (string, string) name = Compute(endpoint, method);
        if (Cache.Count < MaxCached)
        {
            Cache.TryAdd((endpoint, method), name);
        }

        return name;
    }

    /// <summary>
    /// The request's method as it enters a name: a standard method as it is (its canonical string), anything else
    /// <c>_OTHER</c> as OpenTelemetry's semantic conventions do, so that clients cannot mint transaction names.
    /// </summary>
    internal static string KnownMethod(string method) => method switch
    {
        _ when HttpMethods.IsGet(method) => HttpMethods.Get,
        _ when HttpMethods.IsPost(method) => HttpMethods.Post,
        _ when HttpMethods.IsPut(method) => HttpMethods.Put,
        _ when HttpMethods.IsDelete(method) => HttpMethods.Delete,
        _ when HttpMethods.IsPatch(method) => HttpMethods.Patch,
        _ when HttpMethods.IsHead(method) => HttpMethods.Head,
        _ when HttpMethods.IsOptions(method) => HttpMethods.Options,
        _ when HttpMethods.IsTrace(method) => HttpMethods.Trace,
        _ when HttpMethods.IsConnect(method) => HttpMethods.Connect,
        _ when HttpMethods.IsQuery(method) => HttpMethods.Query,
        _ => "_OTHER",
    };

    private static (string Group, string Name) Compute(Endpoint endpoint, string method)
    {
        if (endpoint.Metadata.GetMetadata<ControllerActionDescriptor>() is { } action)
        {
            return ("MVC", action.ControllerName + "/" + action.ActionName);
        }

        if (endpoint is RouteEndpoint route)
        {
            string pattern = route.RoutePattern.RawText ?? "/";
            return ("Route", method + " " + (pattern.StartsWith('/') ? pattern : "/" + pattern));
        }

        return ("Endpoint", endpoint.DisplayName ?? "Unnamed");
    }
}
