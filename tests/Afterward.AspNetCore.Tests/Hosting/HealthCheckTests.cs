using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Afterward.AspNetCore.Tests;

/// <summary><c>AddHealthChecks().AddAfterward()</c> through a real <c>MapHealthChecks</c> endpoint.</summary>
public class HealthCheckTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Idle_Healthy_WithCountersInTheData()
    {
        await using TestHost host = await StartAsync(null, _ => { });
        using HttpResponseMessage done = await host.Client.PostAsync("/task", null);

        (HttpStatusCode status, JsonElement body) = await WaitForAsync(host, "Healthy");

        Assert.Equal(HttpStatusCode.OK, status);
        JsonElement data = body.GetProperty("data");
        foreach (string field in (string[])["queued", "running", "completed", "failed", "queueCapacity"])
        {
            Assert.Equal(JsonValueKind.Number, data.GetProperty(field).ValueKind);
        }
    }

    [Fact]
    public async Task TaskRunningPastLongTaskWarning_Degraded()
    {
        var release = new TaskCompletionSource();
        await using TestHost host = await StartAsync(release, o => o.BackgroundTasks.LongTaskWarning = TimeSpan.FromMilliseconds(100));
        using HttpResponseMessage added = await host.Client.PostAsync("/task", null);

        (HttpStatusCode status, JsonElement body) = await WaitForAsync(host, "Degraded");
        release.SetResult();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("running for", body.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TasksWaitWithNoProgress_Unhealthy503()
    {
        var release = new TaskCompletionSource();
        await using TestHost host = await StartAsync(release, o => o.BackgroundTasks.MaxConcurrency = 1, h => h.StalledAfter = TimeSpan.FromMilliseconds(200));
        using HttpResponseMessage first = await host.Client.PostAsync("/task", null);
        using HttpResponseMessage second = await host.Client.PostAsync("/task", null);

        (HttpStatusCode status, JsonElement body) = await WaitForAsync(host, "Unhealthy");
        release.SetResult();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("no worker has made progress", body.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, body.GetProperty("data").GetProperty("queued").GetInt64());
    }

    [Fact]
    public async Task DeadDurableTask_Degraded_DeadCountInTheData()
    {
        string file = Path.Combine(Path.GetTempPath(), "afterward-tests", Guid.NewGuid().ToString("N"), "tasks.db");
        await using TestHost host = await TestHost.StartAsync(app => app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteJson }),
            services: s =>
            {
                s.AddHealthChecks().AddAfterward();
                s.AddDurableTasks(d =>
                {
                    d.UseSqlite("Data Source=" + file);
                    d.AddHandler<int>("broken", (_, _, _) => throw new InvalidOperationException("always"));
                });
            });
        IDurableTasks tasks = host.App.Services.GetRequiredService<IDurableTasks>();
        await tasks.EnqueueAsync("broken", 1, new EnqueueOptions { MaxAttempts = 1 });

        (_, JsonElement body) = await WaitForAsync(host, "Degraded");

        Assert.Equal(1, body.GetProperty("data").GetProperty("dead").GetInt64());
        Assert.Equal("sqlite", body.GetProperty("data").GetProperty("durableStore").GetString());
    }

    [Fact]
    public void AddAfterward_ThresholdOutOfRange_ThrowsNamingIt()
    {
        var thrown = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddHealthChecks().AddAfterward(h => h.QueueShareDegraded = 2));

        Assert.Contains("QueueShareDegraded", thrown.Message, StringComparison.Ordinal);
    }

    private static Task<TestHost> StartAsync(TaskCompletionSource? hold, Action<AfterwardOptions> configure, Action<AfterwardHealthCheckOptions>? health = null) =>
        TestHost.StartAsync(app =>
        {
            app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteJson });
            app.MapPost("/task", (BackgroundTasks tasks) => tasks.AddTask(() => hold?.Task ?? Task.CompletedTask).WithName("held"));
        }, configure, services: s => s.AddHealthChecks().AddAfterward(health));

    /// <summary>What a /health UI reads: the status, and the check's description and data.</summary>
    private static Task WriteJson(HttpContext context, HealthReport report)
    {
        HealthReportEntry entry = report.Entries["afterward"];
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { status = report.Status.ToString(), description = entry.Description, data = entry.Data }));
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> WaitForAsync(TestHost host, string status)
    {
        using var deadline = new CancellationTokenSource(Wait);
        while (true)
        {
            using HttpResponseMessage response = await host.Client.GetAsync("/health", deadline.Token);
            JsonElement body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(deadline.Token)).RootElement.Clone();
            if (body.GetProperty("status").GetString() == status)
            {
                return (response.StatusCode, body);
            }

            await Task.Delay(20, deadline.Token);
        }
    }
}
