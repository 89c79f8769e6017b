using System.Net;
using Microsoft.AspNetCore.Http;

namespace Afterward.AspNetCore.Dashboard;

/// <summary>
/// The dashboard's default rule when no authorization policy is attached: served only to a browser or tool on the
/// server itself. A request qualifies when the connection's remote <em>and</em> local addresses are loopback, it
/// carries no forwarding header (a reverse proxy or tunnel on the same host would otherwise expose the dashboard to
/// whoever it forwards; <c>ForwardedHeaders</c> with cleared <c>KnownProxies</c> would let any client claim
/// 127.0.0.1), and its <c>Host</c> is <c>localhost</c> or a loopback literal (a DNS-rebinding page names its own host).
/// </summary>
internal static class DashboardAccess
{
    /// <summary>Headers a proxy adds, and the one ASP.NET Core's ForwardedHeaders leaves when it rewrote the remote address.</summary>
    private static readonly string[] ForwardingHeaders =
        ["Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-IP", "X-Original-For", "X-Original-Host"];

    public const string HowToAllow =
        "Attach an authorization policy to open it elsewhere: app.MapAfterwardDashboard().RequireAuthorization(\"ops\").";

    /// <summary>Why the request may not see the dashboard without a policy, or null when it may.</summary>
    public static string? WhyRefused(HttpContext context)
    {
        ConnectionInfo connection = context.Connection;
        if (connection.RemoteIpAddress is not { } remote || !IPAddress.IsLoopback(remote))
        {
            return "The Afterward dashboard is served to loopback clients only (this request came from another address). " + HowToAllow;
        }

        if (connection.LocalIpAddress is { } local && !IPAddress.IsLoopback(local))
        {
            return "The Afterward dashboard is served on a loopback address only (this connection reached another interface). " + HowToAllow;
        }

        foreach (string header in ForwardingHeaders)
        {
            if (context.Request.Headers.ContainsKey(header))
            {
                return $"The Afterward dashboard is served to local clients only, and this request was forwarded ({header}): a proxy on this host " +
                    "would expose it to whoever it forwards. " + HowToAllow;
            }
        }

        if (!IsLoopbackHost(context.Request.Host.Host))
        {
            return "The Afterward dashboard answers only requests addressed to localhost or a loopback address (Host was not), " +
                "so that a page of another site cannot read it through DNS rebinding. " + HowToAllow;
        }

        return null;
    }

    private static bool IsLoopbackHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        string literal = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        return IPAddress.TryParse(literal, out IPAddress? address) && IPAddress.IsLoopback(address);
    }
}
