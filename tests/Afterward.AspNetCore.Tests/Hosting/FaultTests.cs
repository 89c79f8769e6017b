using System.Net;
using Afterward.AspNetCore.Tests.Otlp;
using Microsoft.AspNetCore.Builder;

namespace Afterward.AspNetCore.Tests;

/// <summary>
/// Tasks that throw, hang, allocate heavily or schedule more tasks, dashboard reads during the load and a collector
/// that is down, all at once: the application keeps serving and Afterward keeps recording every outcome.
/// </summary>
[Collection(nameof(ActivityCollection))]
public class FaultTests
{
    [Fact]
    public async Task MixedFaultsUnderLoad_AppKeepsServing_EveryOutcomeRecorded()
    {
        await using OtlpReceiver collector = await OtlpReceiver.StartAsync();
        await collector.StopAsync(); // down for the whole test
        await using var host = await TestHost.StartAsync(app =>
        {
            app.MapAfterwardDashboard();
            app.MapGet("/first", () => "recorded before the dashboard readers start");
            app.MapGet("/ok", (BackgroundTasks tasks) => tasks.AddTask(static () => { }));
            app.MapGet("/throw", (BackgroundTasks tasks) => tasks.AddTask(static () => throw new InvalidOperationException("task failed on purpose")));
            app.MapGet("/hang", (BackgroundTasks tasks) => tasks.AddTask(static ct => Task.Delay(Timeout.Infinite, ct)));
            app.MapGet("/alloc", (BackgroundTasks tasks) => tasks.AddTask(static () =>
            {
                // 32 MiB in 1 MiB arrays (large object heap), dropped at once.
                long sum = 0;
                for (int i = 0; i < 32; i++)
                {
                    byte[] block = new byte[1 << 20];
                    block[i] = 1;
                    sum += block[i];
                }

                return Task.FromResult(sum);
            }));
            app.MapGet("/spawn", (BackgroundTasks tasks) => tasks.AddTask(static (BackgroundTasks running) =>
            {
                for (int i = 0; i < 3; i++)
                {
                    running.AddTask(static () => { });
                }
            }));
        }, o =>
        {
            o.BackgroundTasks.Timeout = TimeSpan.FromMilliseconds(300); // cuts the hanging tasks
            o.BackgroundTasks.MaxConcurrency = 4;
            o.Otlp.Endpoint = collector.HttpEndpoint;
            o.Otlp.Timeout = TimeSpan.FromSeconds(1);
        }, configuration: new Dictionary<string, string?> { ["OTEL_BSP_SCHEDULE_DELAY"] = "50" });

        string[] paths = ["/ok", "/throw", "/hang", "/alloc", "/spawn"];
        const int rounds = 30;
        var statuses = new List<HttpStatusCode>();
        using var loadDone = new CancellationTokenSource();

        // The application exists for the dashboard once it recorded something.
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/first")).StatusCode);

        // Dashboard readers run for as long as the load does.
        Task<List<HttpStatusCode>> dashboard = Task.Run(async () =>
        {
            var seen = new List<HttpStatusCode>();
            while (!loadDone.IsCancellationRequested)
            {
                foreach (string api in (string[])["/afterward/api/transactions", "/afterward/api/tasks", "/afterward/api/applications", "/afterward/"])
                {
                    using HttpResponseMessage response = await host.Client.GetAsync($"{api}?app={host.AppName}".Replace("/?", "?", StringComparison.Ordinal));
                    seen.Add(response.StatusCode);
                }
            }

            return seen;
        });

        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (int round = 0; round < rounds; round++)
            {
                foreach (string path in paths)
                {
                    using HttpResponseMessage response = await host.Client.GetAsync(path);
                    lock (statuses)
                    {
                        statuses.Add(response.StatusCode);
                    }
                }
            }
        })));
        await loadDone.CancelAsync();
        List<HttpStatusCode> dashboardStatuses = await dashboard;
        await host.StopAsync();

        int each = 4 * rounds;
        Assert.Equal(paths.Length * each, statuses.Count);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.NotEmpty(dashboardStatuses);
        Assert.All(dashboardStatuses, s => Assert.Equal(HttpStatusCode.OK, s));

        BackgroundTaskCounters counters = host.Application.TaskCounters;
        Assert.Equal(each /* ok */ + each /* alloc */ + each /* spawn */ + 3 * each /* follow-ups */, counters.Completed);
        Assert.Equal(each /* throw */ + each /* hang, timed out */, counters.Failed);
        Assert.Equal(0, counters.Abandoned);
        Assert.Equal(0, counters.Queued);
        Assert.Equal(0, counters.Running);

        // Recording went on: every request is a web transaction; every task a background one.
        MetricsSnapshot snapshot = host.Snapshot();
        Assert.Equal(paths.Length * each + 1, snapshot.Get("WebTransaction")!.CallCount);
        Assert.Equal(counters.Completed + counters.Failed, snapshot.Get("OtherTransaction/all")!.CallCount);
        Assert.Equal(2 * each, snapshot.Get("Errors/allOther")!.CallCount);

        // And the collector being down cost telemetry only.
        Assert.True(host.Application.Export.SpansDropped > 0);
    }
}
