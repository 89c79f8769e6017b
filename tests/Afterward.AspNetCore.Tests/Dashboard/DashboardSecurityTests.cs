using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Afterward.AspNetCore.Tests;

/// <summary>
/// Who may open the dashboard. Tests run on 127.0.0.1 only, so a client elsewhere is played by a test middleware
/// that sets the connection's remote address before the dashboard sees it.
/// </summary>
public class DashboardSecurityTests
{
    private const string RemoteHeader = "X-Test-Remote-Address";
    private static readonly string[] Paths = ["/afterward/", "/afterward/api/applications", "/afterward/assets/dashboard.js", "/afterward/assets/dashboard.css"];

    [Fact]
    public async Task ByDefault_LoopbackIsServed_ARemoteAddressGets403Everywhere()
    {
        await using var host = await TestHost.StartAsync(app => app.MapAfterwardDashboard(), beforeAfterward: SimulateRemote);

        foreach (string path in Paths)
        {
            Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync(path)).StatusCode);
            using var remote = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { { RemoteHeader, "203.0.113.9" } } };
            using HttpResponseMessage response = await host.Client.SendAsync(remote);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("loopback", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var ipv6 = new HttpRequestMessage(HttpMethod.Get, "/afterward/api/tasks") { Headers = { { RemoteHeader, "2001:db8::1" } } };
        Assert.Equal(HttpStatusCode.Forbidden, (await host.Client.SendAsync(ipv6)).StatusCode);
    }

    [Fact]
    public async Task AnAuthorizationPolicy_OpensItToRemoteClientsThatSatisfyIt()
    {
        await using var host = await TestHost.StartAsync(
            app => app.MapAfterwardDashboard().RequireAuthorization("ops"),
            services: services =>
            {
                services.AddAuthentication("Test").AddScheme<AuthenticationSchemeOptions, HeaderAuthentication>("Test", null);
                services.AddAuthorization(o => o.AddPolicy("ops", p => p.RequireClaim(ClaimTypes.Role, "ops")));
            },
            beforeAfterward: SimulateRemote);

        foreach (string path in Paths)
        {
            using var anonymous = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { { RemoteHeader, "203.0.113.9" } } };
            Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.SendAsync(anonymous)).StatusCode);

            using var developer = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { { RemoteHeader, "203.0.113.9" }, { "X-Test-Role", "dev" } } };
            Assert.Equal(HttpStatusCode.Forbidden, (await host.Client.SendAsync(developer)).StatusCode);

            using var operator_ = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { { RemoteHeader, "203.0.113.9" }, { "X-Test-Role", "ops" } } };
            Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(operator_)).StatusCode);
        }
    }

    [Fact]
    public async Task Page_IsServedWithAStrictContentSecurityPolicy_AndAssetsAreEmbedded()
    {
        await using var host = await TestHost.StartAsync(app => app.MapAfterwardDashboard("/ops/apm"));

        using HttpResponseMessage page = await host.Client.GetAsync("/ops/apm/");
        string html = await page.Content.ReadAsStringAsync();
        string csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Contains("/ops/apm/assets/dashboard.js", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html.Replace(host.Client.BaseAddress!.ToString(), "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);

        using HttpResponseMessage script = await host.Client.GetAsync("/ops/apm/assets/dashboard.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        string bundle = await script.Content.ReadAsStringAsync();
        Assert.Contains("\"uplot\"", bundle, StringComparison.Ordinal); // the charting library is in the bundle, not fetched from a CDN
        Assert.True(bundle.Length > 20_000);

        using HttpResponseMessage css = await host.Client.GetAsync("/ops/apm/assets/dashboard.css");
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync("/ops/apm/assets/secrets.json")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync("/ops/apm/assets/..%2F..%2Fappsettings.json")).StatusCode);
    }

    [Theory]
    [InlineData("X-Forwarded-For", "127.0.0.1")]
    [InlineData("Forwarded", "for=127.0.0.1")]
    [InlineData("X-Real-IP", "127.0.0.1")]
    [InlineData("X-Forwarded-Host", "localhost")]
    public async Task ForwardedRequest_FromAProxyOnThisHost_Gets403(string header, string value)
    {
        await using var host = await TestHost.StartAsync(app => app.MapAfterwardDashboard());

        using var forwarded = new HttpRequestMessage(HttpMethod.Get, "/afterward/api/applications") { Headers = { { header, value } } };
        using HttpResponseMessage response = await host.Client.SendAsync(forwarded);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Contains(header, body, StringComparison.Ordinal);
        Assert.Contains("RequireAuthorization", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForwardedHeadersWithClearedKnownProxies_SpoofedLoopback_Gets403()
    {
        // The common setup that trusts every proxy: any client can claim to be 127.0.0.1.
        await using var host = await TestHost.StartAsync(app => app.MapAfterwardDashboard(), beforeAfterward: app =>
        {
            SimulateRemote(app);
            var options = new ForwardedHeadersOptions { ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor };
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            app.UseForwardedHeaders(options);
        });

        using var spoofed = new HttpRequestMessage(HttpMethod.Get, "/afterward/api/applications")
        {
            Headers = { { RemoteHeader, "203.0.113.9" }, { "X-Forwarded-For", "127.0.0.1" } },
        };
        using HttpResponseMessage response = await host.Client.SendAsync(spoofed);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData("attacker.example")]
    [InlineData("10.0.0.5")]
    [InlineData("localhost.attacker.example")]
    public async Task HostNotLoopback_DnsRebinding_Gets403(string hostHeader)
    {
        await using var host = await TestHost.StartAsync(app => app.MapAfterwardDashboard());

        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/afterward/api/applications");
        rebound.Headers.Host = hostHeader;
        using HttpResponseMessage response = await host.Client.SendAsync(rebound);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("DNS rebinding", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var local = new HttpRequestMessage(HttpMethod.Get, "/afterward/api/applications");
        local.Headers.Host = "localhost";
        Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(local)).StatusCode);
    }

    [Fact]
    public async Task LocalAddressNotLoopback_AnotherInterface_Gets403()
    {
        await using var host = await TestHost.StartAsync(app => app.MapAfterwardDashboard(), beforeAfterward: app => app.Use((context, next) =>
        {
            context.Connection.LocalIpAddress = IPAddress.Parse("10.0.0.5");
            return next(context);
        }));

        using HttpResponseMessage response = await host.Client.GetAsync("/afterward/api/applications");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private static void SimulateRemote(WebApplication app) => app.Use((context, next) =>
    {
        if (context.Request.Headers.TryGetValue(RemoteHeader, out var address))
        {
            context.Connection.RemoteIpAddress = IPAddress.Parse(address.ToString());
        }

        return next(context);
    });

    /// <summary>Authenticates whoever sends X-Test-Role, with that role.</summary>
    private sealed class HeaderAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!Request.Headers.TryGetValue("X-Test-Role", out var role))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "tester"), new Claim(ClaimTypes.Role, role.ToString())], Scheme.Name);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
        }
    }
}
