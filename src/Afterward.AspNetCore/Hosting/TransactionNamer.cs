using System.Collections.Concurrent;
using Afterward.Transactions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.AspNetCore.Routing;

namespace Afterward.AspNetCore.Hosting;

/// <summary>
/// Names a web transaction from its matched endpoint, never from the raw path (cardinality): minimal APIs
/// <c>Route/{METHOD} {pattern}</c>, MVC <c>MVC/{Controller}/{Action}</c>, nothing matched <c>StatusCode/{code}</c>.
/// Names are computed once per endpoint and method and handed out as the same normalized instance, so naming a
/// request costs a lookup by reference and allocates nothing.
/// </summary>
internal static class TransactionNamer
{
    private const int MaxCached = 10_000;
    private const int OtherMethod = 10;

    private static readonly ConcurrentDictionary<Endpoint, EndpointNames> Cache = new(ReferenceEqualityComparer.Instance);
    private static readonly TransactionName?[] StatusCodes = new TransactionName?[600];

    /// <summary>The name of a request that matched no endpoint: <c>StatusCode/{code}</c>.</summary>
    public static TransactionName ForStatus(int code) =>
        (uint)code < StatusCodes.Length ? StatusCodes[code] ??= StatusCode(code) : StatusCode(code);

    /// <summary>What naming needs of an endpoint, read from its metadata once.</summary>
    public static EndpointNames Of(Endpoint endpoint)
    {
        if (Cache.TryGetValue(endpoint, out EndpointNames? names))
        {
            return names;
        }

        names = new EndpointNames(endpoint);
        return Cache.Count < MaxCached ? Cache.GetOrAdd(endpoint, names) : names;
    }

    /// <summary>
    /// The request's method as it enters a name: a standard method as it is (its canonical string), anything else
    /// <c>_OTHER</c> as OpenTelemetry's semantic conventions do, so that clients cannot mint transaction names.
    /// </summary>
    internal static readonly string[] Methods =
    [
        HttpMethods.Get, HttpMethods.Post, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Patch, HttpMethods.Head,
        HttpMethods.Options, HttpMethods.Trace, HttpMethods.Connect, HttpMethods.Query, "_OTHER",
    ];

    internal static int MethodIndex(string method) => method switch
    {
        _ when HttpMethods.IsGet(method) => 0,
        _ when HttpMethods.IsPost(method) => 1,
        _ when HttpMethods.IsPut(method) => 2,
        _ when HttpMethods.IsDelete(method) => 3,
        _ when HttpMethods.IsPatch(method) => 4,
        _ when HttpMethods.IsHead(method) => 5,
        _ when HttpMethods.IsOptions(method) => 6,
        _ when HttpMethods.IsTrace(method) => 7,
        _ when HttpMethods.IsConnect(method) => 8,
        _ when HttpMethods.IsQuery(method) => 9,
        _ => OtherMethod,
    };

    private static TransactionName StatusCode(int code) =>
        Named("StatusCode", code.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A route's pattern with its leading slash (as names and the span's <c>http.route</c> show it), or null.</summary>
    internal static string? RoutePattern(RouteEndpoint route) =>
        route.RoutePattern.RawText is { } pattern && !pattern.StartsWith('/') ? "/" + pattern : route.RoutePattern.RawText;

    internal static TransactionName Compute(Endpoint endpoint, string method)
    {
        if (endpoint.Metadata.GetMetadata<ControllerActionDescriptor>() is { } action)
        {
            return Named("MVC", action.ControllerName + "/" + action.ActionName);
        }

        if (endpoint is RouteEndpoint route)
        {
            return Named("Route", method + " " + (RoutePattern(route) ?? "/"));
        }

        return Named("Endpoint", endpoint.DisplayName ?? "Unnamed");
    }

    private static TransactionName Named(string group, string name) =>
        new(MetricNames.NormalizeGroup(group), MetricNames.NormalizeName(name), NamePriority.Framework);
}

/// <summary>An endpoint's transaction name per request method, and the Afterward metadata it carries.</summary>
internal sealed class EndpointNames
{
    private readonly Endpoint _endpoint;
    private readonly TransactionName?[] _byMethod = new TransactionName?[TransactionNamer.Methods.Length];
    private readonly string?[] _spanNames = new string?[TransactionNamer.Methods.Length];

    public EndpointNames(Endpoint endpoint)
    {
        _endpoint = endpoint;
        IsDashboard = endpoint.Metadata.GetMetadata<DashboardEndpointMetadata>() is not null;
        Route = endpoint is RouteEndpoint route ? TransactionNamer.RoutePattern(route) : null;
        BackgroundTask = endpoint.Metadata.GetMetadata<BackgroundTaskAttribute>();
        if (BackgroundTask is { Name: { } name } attribute)
        {
            BackgroundTaskName = new TransactionName(MetricNames.NormalizeGroup(attribute.Group), MetricNames.NormalizeName(name), NamePriority.Endpoint);
        }
    }

    /// <summary>A dashboard endpoint: its requests are not recorded.</summary>
    public bool IsDashboard { get; }

    /// <summary>The endpoint's <c>[BackgroundTask]</c>, which makes its requests background transactions.</summary>
    public BackgroundTaskAttribute? BackgroundTask { get; }

    /// <summary>The name that attribute gives, if any.</summary>
    public TransactionName? BackgroundTaskName { get; }

    /// <summary>A route endpoint's pattern with its leading slash (the span's <c>http.route</c>), else null.</summary>
    public string? Route { get; }

    /// <summary>The span name <c>{method} {route}</c>, made once per standard method.</summary>
    public string SpanName(string method)
    {
        int index = TransactionNamer.MethodIndex(method);
        if (index == TransactionNamer.Methods.Length - 1)
        {
            return method + " " + Route;
        }

        // A race fills a slot twice with equal names: harmless.
        return _spanNames[index] ??= TransactionNamer.Methods[index] + " " + Route;
    }

    public TransactionName For(string method)
    {
        int index = TransactionNamer.MethodIndex(method);

        // A race fills a slot twice with equal names: harmless.
        return _byMethod[index] ??= TransactionNamer.Compute(_endpoint, TransactionNamer.Methods[index]);
    }
}
