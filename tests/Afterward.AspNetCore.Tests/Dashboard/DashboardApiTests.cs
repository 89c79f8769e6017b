using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Afterward.AspNetCore.Tests;

/// <summary>The dashboard's JSON API beyond the contract's three endpoints: what the page's cards, charts and panels read.</summary>
public class DashboardApiTests
{
    [Fact]
    public async Task Overview_LastMinutesByKind_ApdexErrorRateAndTimeline()
    {
        int done = 0;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await TestHost.StartAsync(app =>
        {
            app.MapAfterwardDashboard();
            app.MapGet("/ok", (BackgroundTasks tasks) => tasks.AddTask(() =>
            {
                if (Interlocked.Increment(ref done) == 6)
                {
                    allDone.SetResult();
                }
            }));
            app.MapGet("/fail", () => Results.StatusCode(500));
        });
        for (int i = 0; i < 6; i++)
        {
            await host.Client.GetAsync("/ok");
        }

        await host.Client.GetAsync("/fail");
        await host.Client.GetAsync("/fail");
        await allDone.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // The sixth task's transaction ends just after its delegate returns: read until the API has it.
        JsonElement overview = await Get(host, "overview");
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (overview.GetProperty("background").GetProperty("count").GetInt64() < 6)
            {
                deadline.Token.ThrowIfCancellationRequested();
                await Task.Yield();
                overview = await Get(host, "overview");
            }
        }

        JsonElement web = overview.GetProperty("web");
        Assert.Equal(8, web.GetProperty("count").GetInt64());
        Assert.Equal(0.25, web.GetProperty("errorRate").GetDouble(), 3);
        JsonElement apdex = web.GetProperty("apdex");
        Assert.Equal(6, apdex.GetProperty("satisfying").GetInt64());
        Assert.Equal(2, apdex.GetProperty("frustrating").GetInt64());
        Assert.Equal(0.75, apdex.GetProperty("score").GetDouble(), 3);
        Assert.True(web.GetProperty("throughputRpm").GetDouble() > 0);
        Assert.Equal(6, overview.GetProperty("background").GetProperty("count").GetInt64());
        Assert.Equal(0, overview.GetProperty("background").GetProperty("errorRate").GetDouble());
        Assert.Equal(500, overview.GetProperty("apdexThresholdMs").GetDouble());

        JsonElement timeline = overview.GetProperty("timeline");
        Assert.Equal(10, timeline.GetProperty("intervalSeconds").GetInt32());
        JsonElement[] points = [.. timeline.GetProperty("points").EnumerateArray()];
        Assert.Equal(180, points.Length);
        Assert.Equal(8, points.Sum(p => p.GetProperty("webCount").GetInt64()));
        Assert.Equal(6, points.Sum(p => p.GetProperty("backgroundCount").GetInt64()));
        Assert.All(points.Zip(points.Skip(1)), pair => Assert.Equal(10, pair.Second.GetProperty("time").GetInt64() - pair.First.GetProperty("time").GetInt64()));
    }

    [Fact]
    public async Task TransactionDetail_HasPercentilesHistogramAndSlowestTracesWithSegments()
    {
        await using var host = await TestHost.StartAsync(app =>
        {
            app.MapAfterwardDashboard();
            app.MapGet("/steps", () =>
            {
                using (Agent.FunctionTrace("Load"))
                {
                    using (Agent.FunctionTrace("Parse"))
                    {
                    }
                }

                using (Agent.FunctionTrace("Save"))
                {
                }

                return "ok";
            });
        });
        for (int i = 0; i < 8; i++)
        {
            await host.Client.GetAsync("/steps");
        }

        JsonElement detail = await Get(host, "transaction", "&name=" + Uri.EscapeDataString("WebTransaction/Route/GET /steps"));
        Assert.Equal(8, detail.GetProperty("transaction").GetProperty("count").GetInt64());
        Assert.Equal("web", detail.GetProperty("kind").GetString());
        double min = detail.GetProperty("transaction").GetProperty("minMs").GetDouble(), max = detail.GetProperty("transaction").GetProperty("maxMs").GetDouble();
        double p50 = detail.GetProperty("p50Ms").GetDouble(), p99 = detail.GetProperty("p99Ms").GetDouble();
        Assert.InRange(p50, min, max);
        Assert.InRange(p99, p50, max);
        Assert.Equal(8, detail.GetProperty("histogram").EnumerateArray().Sum(b => b.GetProperty("count").GetInt64()));

        JsonElement[] slowest = [.. detail.GetProperty("slowest").EnumerateArray()];
        Assert.Equal(5, slowest.Length);
        Assert.True(slowest.Zip(slowest.Skip(1)).All(p => p.First.GetProperty("durationMs").GetDouble() >= p.Second.GetProperty("durationMs").GetDouble()));
        JsonElement[] segments = [.. slowest[0].GetProperty("segments").EnumerateArray()];
        Assert.Equal(["Function/Load", "Function/Parse", "Function/Save"], segments.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal([1, 2, 1], segments.Select(s => s.GetProperty("depth").GetInt32())); // 1 = a child of the transaction
        Assert.All(segments, s => Assert.InRange(s.GetProperty("startMs").GetDouble() + s.GetProperty("durationMs").GetDouble(), 0, slowest[0].GetProperty("durationMs").GetDouble() + 0.001));

        using HttpResponseMessage unknown = await host.Client.GetAsync($"/afterward/api/transaction?app={host.AppName}&name=WebTransaction/Route/nope");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using HttpResponseMessage missing = await host.Client.GetAsync($"/afterward/api/transaction?app={host.AppName}");
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
    }

    [Fact]
    public async Task InFlight_RunningTransactions_ListedWithAgeFlaggedOverLimit()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await TestHost.StartAsync(app =>
        {
            app.MapAfterwardDashboard();
            app.MapGet("/slow", () => release.Task.WaitAsync(TimeSpan.FromSeconds(60)));
            app.MapGet("/schedule", (BackgroundTasks tasks) => tasks.AddTask(() => release.Task.WaitAsync(TimeSpan.FromSeconds(60))).WithName("waiting-task"));
        }, o => o.MaxTransactionDuration = TimeSpan.FromMilliseconds(300));
        await host.Client.GetAsync("/schedule");
        Task<HttpResponseMessage> slow = host.Client.GetAsync("/slow");

        // Poll the API (what the page does) until both are listed and have outlived the limit.
        JsonElement inflight = default;
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (!deadline.IsCancellationRequested)
            {
                inflight = await Get(host, "inflight");
                JsonElement[] rows = [.. inflight.GetProperty("transactions").EnumerateArray()];
                if (rows.Length == 2 && rows.All(r => r.GetProperty("overLimit").GetBoolean()))
                {
                    break;
                }

                await Task.Yield();
            }
        }

        JsonElement[] running = [.. inflight.GetProperty("transactions").EnumerateArray()];
        Assert.Equal(2, running.Length);
        Assert.Contains(running, r => r.GetProperty("name").GetString() == "WebTransaction/Route/GET /slow" && r.GetProperty("kind").GetString() == "web");
        Assert.Contains(running, r => r.GetProperty("name").GetString() == "OtherTransaction/Function/waiting-task" && r.GetProperty("kind").GetString() == "background");
        Assert.All(running, r => Assert.True(r.GetProperty("ageMs").GetDouble() > 300));
        Assert.Equal(300, inflight.GetProperty("maxTransactionDurationMs").GetDouble());

        // Once they end, they leave the list.
        release.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await slow).StatusCode);
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while ((await Get(host, "inflight")).GetProperty("count").GetInt32() > 0)
            {
                deadline.Token.ThrowIfCancellationRequested();
                await Task.Yield();
            }
        }
    }

    [Fact]
    public async Task NoAppParameter_TheHostsApplication_EvenAfterDataCreatedOnes()
    {
        string other = "data-made-" + Guid.NewGuid().ToString("N");
        await using var host = await TestHost.StartAsync(app =>
        {
            app.MapAfterwardDashboard();
            app.MapGet("/other", (HttpContext context) =>
            {
                context.Items[AfterwardKeys.AppName] = other;
                return "ok";
            });
        });
        using HttpResponseMessage first = await host.Client.GetAsync("/other");

        using HttpResponseMessage response = await host.Client.GetAsync("/afterward/api/overview");
        JsonElement overview = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(host.AppName, overview.GetProperty("app").GetString());
        Assert.Equal(1, Agent.Snapshot(other).Get("WebTransaction/Route/GET /other")?.CallCount);
    }

    private static async Task<JsonElement> Get(TestHost host, string api, string query = "")
    {
        using HttpResponseMessage response = await host.Client.GetAsync($"/afterward/api/{api}?app={Uri.EscapeDataString(host.AppName)}{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
