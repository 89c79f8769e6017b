using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;

namespace Afterward.AspNetCore.Tests;

/// <summary>Bad input over HTTP: always a 4xx that says why, never a 500, and the server keeps serving.</summary>
public class BadInputTests
{
    public static TheoryData<string, HttpStatusCode> DashboardAppValues => new()
    {
        { "no-such-app", HttpStatusCode.NotFound },
        { "<script>alert(1)</script>", HttpStatusCode.NotFound },
        { "' OR '1'='1' --", HttpStatusCode.NotFound },
        { "../../../../etc/passwd", HttpStatusCode.NotFound },
        { "%00", HttpStatusCode.BadRequest },
        { "line%0Abreak", HttpStatusCode.BadRequest },
        { new string('a', 256), HttpStatusCode.BadRequest },
        { "%F0%9F%98%80%FF%FE", HttpStatusCode.NotFound },
        { "x&app=y", HttpStatusCode.NotFound },
        { new string('b', 20_000), HttpStatusCode.RequestUriTooLong },
    };

    [Theory]
    [MemberData(nameof(DashboardAppValues))]
    public async Task DashboardApi_BadAppParameter_Is4xxWithAReasonNeverMarkup(string app, HttpStatusCode expected)
    {
        await using var host = await TestHost.StartAsync(a => a.MapAfterwardDashboard());
        foreach (string api in (string[])["transactions", "tasks"])
        {
            using HttpResponseMessage response = await host.Client.GetAsync($"/afterward/api/{api}?app={(app.Contains('%') || app.Contains('&') ? app : Uri.EscapeDataString(app))}");
            string body = await response.Content.ReadAsStringAsync();

            Assert.Equal(expected, response.StatusCode);
            Assert.DoesNotContain("<script>", body, StringComparison.Ordinal);
            if (expected is HttpStatusCode.NotFound or HttpStatusCode.BadRequest && response.Content.Headers.ContentType?.MediaType == "application/json")
            {
                using JsonDocument json = JsonDocument.Parse(body);
                Assert.False(string.IsNullOrWhiteSpace(json.RootElement.GetProperty("error").GetString()));
            }
        }

        // Still serving, and nothing was recorded for the bad requests' dashboard calls.
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/afterward/api/applications")).StatusCode);
    }

    [Fact]
    public async Task DashboardApi_RandomizedParametersAndPaths_NeverAnswer5xx()
    {
        const int seed = 20261121;
        var random = new Random(seed);
        await using var host = await TestHost.StartAsync(a => a.MapAfterwardDashboard());
        for (int i = 0; i < 300; i++)
        {
            var builder = new StringBuilder();
            int length = random.Next(0, 300);
            for (int c = 0; c < length; c++)
            {
                builder.Append((char)random.Next(1, 0x2FFF));
            }

            string value = Uri.EscapeDataString(builder.ToString());
            string path = random.Next(4) switch
            {
                0 => $"/afterward/api/transactions?app={value}",
                1 => $"/afterward/api/tasks?app={value}&app={value}",
                2 => $"/afterward/api/{value}",
                _ => $"/afterward/{value}?page={value}",
            };
            using HttpResponseMessage response = await host.Client.GetAsync(path);
            Assert.True((int)response.StatusCode < 500, $"seed {seed}, iteration {i}: {(int)response.StatusCode} for {path}");
        }

        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/afterward/api/applications")).StatusCode);
    }

    [Fact]
    public async Task DashboardApi_NonGetMethods_RejectedNothingChanges()
    {
        await using var host = await TestHost.StartAsync(a => a.MapAfterwardDashboard());
        foreach (HttpMethod method in (HttpMethod[])[HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch])
        {
            using var request = new HttpRequestMessage(method, "/afterward/api/tasks") { Content = new StringContent("{}") };
            using HttpResponseMessage response = await host.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        }
    }

    private static readonly (string Body, string ContentType, HttpStatusCode Expected, string Says)[] RegisterBodies =
    [
        ("", "application/json", HttpStatusCode.BadRequest, "body"),
        ("{", "application/json", HttpStatusCode.BadRequest, "JSON"),
        ("not json", "application/json", HttpStatusCode.BadRequest, "JSON"),
        ("[]", "application/json", HttpStatusCode.BadRequest, "JSON"),
        ("{\"email\": 5, \"name\": \"Ada\"}", "application/json", HttpStatusCode.BadRequest, "$.email"),
        ("{\"email\": " + new string('[', 2000) + new string(']', 2000) + "}", "application/json", HttpStatusCode.BadRequest, "$.email"),
        ("{\"email\": \"not-an-email\", \"name\": \"\"}", "application/json", HttpStatusCode.BadRequest, "Email"),
        ("{\"email\": \"ada@example.com\", \"name\": \"" + new string('n', 200_000) + "\"}", "application/json", HttpStatusCode.BadRequest, "Name"),
        ("{\"email\": \"ada@example.com\", \"name\": \"Ada\"}", "text/plain", HttpStatusCode.UnsupportedMediaType, "JSON"),
    ];

    [Fact]
    public async Task ShopRegister_MalformedBodies_Get400WithAClearProblem()
    {
        await using ShopProcess shop = await ShopProcess.StartAsync(new Dictionary<string, string>());
        foreach ((string body, string contentType, HttpStatusCode expected, string says) in RegisterBodies)
        {
            using var content = new StringContent(body, Encoding.UTF8, contentType);
            using HttpResponseMessage response = await shop.Client.PostAsync("/register", content);
            string text = await response.Content.ReadAsStringAsync();
            string shown = body.Length > 40 ? body[..40] + "…" : body;

            Assert.True(expected == response.StatusCode, $"{shown} ({contentType}): expected {expected}, got {(int)response.StatusCode} {text}");
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{shown}: {response.Content.Headers.ContentType} {text}");
            Assert.True(text.Contains(says, StringComparison.OrdinalIgnoreCase), $"{shown}: the problem does not mention '{says}': {text}");
        }

        using var valid = new StringContent("{\"email\": \"ada@example.com\", \"name\": \"Ada\"}", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.Accepted, (await shop.Client.PostAsync("/register", valid)).StatusCode);
    }
}
