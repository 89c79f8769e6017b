using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Afterward.AspNetCore.Tests;

public class BackgroundTasksRunnerTests
{
    private static TaskCompletionSource Signal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Fact]
    public async Task Response_ArrivesBeforeTwoSecondTaskFinishes_TaskRunsAfterResponse()
    {
        var finished = Signal();
        long responseWritten = 0, taskStarted = 0;
        await using var host = await TestHost.StartAsync(
            app => app.MapPost("/slow", (BackgroundTasks tasks) =>
            {
                tasks.AddTask(async () =>
                {
                    Interlocked.Exchange(ref taskStarted, Stopwatch.GetTimestamp());
                    await Task.Delay(TimeSpan.FromSeconds(2));
                    finished.SetResult();
                });
                return "ok";
            }),
            beforeAfterward: app => app.Use(async (context, next) =>
            {
                await next(context);
                Interlocked.Exchange(ref responseWritten, Stopwatch.GetTimestamp());
            }));

        HttpResponseMessage response = await host.Client.PostAsync("/slow", null);

        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        Assert.False(finished.Task.IsCompleted, "the response waited for the task");
        await finished.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(Interlocked.Read(ref taskStarted) >= Interlocked.Read(ref responseWritten), "the task started before the response was written");
    }

    [Fact]
    public async Task KeepAlive_SecondRequestOnSameConnection_IsNotDelayedByFirstRequestsTask()
    {
        var release = Signal();
        var started = Signal();
        await using var host = await TestHost.StartAsync(app =>
        {
            app.MapGet("/first", (HttpContext context, BackgroundTasks tasks) =>
            {
                tasks.AddTask(async () =>
                {
                    started.SetResult();
                    await release.Task;
                });
                return context.Connection.Id;
            });
            app.MapGet("/second", (HttpContext context) => context.Connection.Id);
        });
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = host.Client.BaseAddress };

        string first = await client.GetStringAsync("/first");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        string second = await client.GetStringAsync("/second").WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(first, second);
        Assert.False(release.Task.IsCompleted);
        release.SetResult();
    }

    [Fact]
    public async Task ThreeTasks_FirstThrows_OthersRunInOrderFailureLoggedAndCounted()
    {
        var ran = new List<string>();
        await using var host = await TestHost.StartAsync(app => app.MapPost("/three", (BackgroundTasks tasks) =>
        {
            tasks.AddTask(Explode);
            tasks.AddTask(() => { lock (ran) { ran.Add("second"); } });
            tasks.AddTask(async () => { await Task.Yield(); lock (ran) { ran.Add("third"); } });
            return "ok";
        }));

        await host.Client.PostAsync("/three", null);
        await host.StopAsync();

        Assert.Equal(["second", "third"], ran);
        BackgroundTaskCounters counters = host.Application.TaskCounters;
        Assert.Equal(1, counters.Failed);
        Assert.Equal(2, counters.Completed);
        TaskFailure failure = Assert.Single(counters.RecentFailures);
        Assert.Equal(typeof(InvalidOperationException).FullName, failure.ExceptionType);
        var logged = Assert.Single(host.Logs.Entries, e => e.EventId == 2001);
        Assert.Contains("BackgroundTasksRunnerTests.Explode", logged.Message, StringComparison.Ordinal);
        Assert.Contains("trace id", logged.Message, StringComparison.Ordinal);
        Assert.Contains("kaboom", logged.Message, StringComparison.Ordinal);
        MetricsSnapshot snapshot = host.Snapshot();
        Assert.Equal(1, snapshot.Get("Errors/OtherTransaction/Function/Afterward.AspNetCore.Tests.BackgroundTasksRunnerTests.Explode")?.CallCount);
        Assert.Equal(3, snapshot.Get("OtherTransaction/all")?.CallCount);
    }

    private static void Explode() => throw new InvalidOperationException("kaboom");

    [Fact]
    public async Task HandlerThrowsAfterAddTask_TaskNeverRuns_WarningSaysSo()
    {
        bool ran = false;
        var later = Signal();
        await using var host = await TestHost.StartAsync(app =>
        {
            app.MapPost("/fails", (BackgroundTasks tasks) =>
            {
                tasks.AddTask(() => ran = true);
                throw new InvalidOperationException("handler failed");
            });
            app.MapPost("/later", (BackgroundTasks tasks) =>
            {
                tasks.AddTask(later.SetResult);
                return "ok";
            });
        });

        HttpResponseMessage response = await host.Client.PostAsync("/fails", null);
        await host.Client.PostAsync("/later", null);
        await later.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await host.StopAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.False(ran);
        Assert.Equal(1, host.Application.TaskCounters.Skipped);
        var warning = Assert.Single(host.Logs.Entries, e => e.EventId == 2002);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("1 background task(s) were skipped", warning.Message, StringComparison.Ordinal);
        Assert.Equal(1, host.Snapshot().Get("Errors/WebTransaction/Route/POST /fails")?.CallCount);
    }

    [Fact]
    public async Task ScopedService_InTask_NotTheRequestsInstanceDisposedAfterTheList()
    {
        Tracker? requestTracker = null;
        var seen = new List<Tracker>();
        var disposed = Signal();
        await using var host = await TestHost.StartAsync(
            app => app.MapPost("/scoped", (Tracker tracker, BackgroundTasks tasks) =>
            {
                requestTracker = tracker;
                tasks.AddTask((Tracker t) => { lock (seen) { seen.Add(t); } });
                tasks.AddTask((Tracker t) =>
                {
                    lock (seen)
                    {
                        seen.Add(t);
                        Assert.False(t.IsDisposed);
                    }

                    t.OnDispose = disposed.SetResult;
                });
                return "ok";
            }),
            services: s => s.AddScoped<Tracker>());

        await host.Client.PostAsync("/scoped", null);
        await disposed.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, seen.Count);
        Assert.Same(seen[0], seen[1]);
        Assert.NotSame(requestTracker, seen[0]);
        Assert.True(seen[0].IsDisposed);
    }

    [Fact]
    public async Task Arguments_AreCapturedWhenAddTaskIsCalled()
    {
        var received = new TaskCompletionSource<(int, string)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await TestHost.StartAsync(app => app.MapPost("/capture", (BackgroundTasks tasks) =>
        {
            int number = 1;
            string text = "before";
            tasks.AddTask((int n, string s) => received.SetResult((n, s)), number, text);
            number = 2;
            text = "after";
            return number + text;
        }));

        await host.Client.PostAsync("/capture", null);

        Assert.Equal((1, "before"), await received.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task MaxConcurrency_IsHonoured_AndFullQueueAppliesBackpressureWithoutDropping()
    {
        int running = 0, maxRunning = 0, completed = 0;
        var release = Signal();
        var twoRunning = Signal();
        await using var host = await TestHost.StartAsync(
            app => app.MapPost("/work", (BackgroundTasks tasks) =>
            {
                tasks.AddTask(async () =>
                {
                    int now = Interlocked.Increment(ref running);
                    InterlockedMax(ref maxRunning, now);
                    if (now == 2)
                    {
                        twoRunning.TrySetResult();
                    }

                    await release.Task;
                    Interlocked.Decrement(ref running);
                    Interlocked.Increment(ref completed);
                });
                return "ok";
            }),
            configure: o =>
            {
                o.BackgroundTasks.MaxConcurrency = 2;
                o.BackgroundTasks.QueueCapacity = 1;
            });

        Task<HttpResponseMessage>[] requests = [.. Enumerable.Range(0, 10).Select(_ => host.Client.PostAsync("/work", null))];
        await twoRunning.Task.WaitAsync(TimeSpan.FromSeconds(10));
        HttpResponseMessage[] responses = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.True(host.Application.TaskCounters.Queued <= 10);
        release.SetResult();
        await host.StopAsync();

        Assert.Equal(2, maxRunning);
        Assert.Equal(10, completed);
        Assert.Equal(10, host.Application.TaskCounters.Completed);
        Assert.Equal(0, host.Application.TaskCounters.Abandoned);
    }

    [Fact]
    public async Task StopAsync_WithFiftyQueuedTasks_CompletesThemAllBeforeReturning()
    {
        int completed = 0;
        await using var host = await TestHost.StartAsync(
            app => app.MapPost("/queue", (BackgroundTasks tasks) =>
            {
                for (int i = 0; i < 5; i++)
                {
                    tasks.AddTask(async ct =>
                    {
                        await Task.Delay(20, ct);
                        Interlocked.Increment(ref completed);
                    });
                }

                return "ok";
            }),
            configure: o => o.BackgroundTasks.MaxConcurrency = 2);

        for (int i = 0; i < 10; i++)
        {
            await host.Client.PostAsync("/queue", null);
        }

        await host.StopAsync();

        Assert.Equal(50, completed);
        Assert.Equal(50, host.Application.TaskCounters.Completed);
        Assert.Equal(0, host.Application.TaskCounters.Queued);
    }

    [Fact]
    public async Task StopAsync_TasksIgnoringDeadline_ReturnsAndLogsAbandonedNamesAndCount()
    {
        var never = Signal();
        var bothStarted = new CountdownEvent(2);
        await using var host = await TestHost.StartAsync(
            app => app.MapPost("/stuck", (BackgroundTasks tasks) =>
            {
                tasks.AddTask(async () =>
                {
                    bothStarted.Signal();
                    await never.Task;   // ignores every token
                }).WithName("stubborn");
                tasks.AddTask(() => { }).WithName("never-started");
                return "ok";
            }),
            configure: o => o.BackgroundTasks.MaxConcurrency = 2,
            shutdownTimeout: TimeSpan.FromSeconds(1));

        await host.Client.PostAsync("/stuck", null);
        await host.Client.PostAsync("/stuck", null);
        Assert.True(bothStarted.Wait(TimeSpan.FromSeconds(10)));
        Task stop = host.StopAsync();
        await stop.WaitAsync(TimeSpan.FromSeconds(20));

        var warning = Assert.Single(host.Logs.Entries, e => e.EventId == 2003);
        Assert.Contains("4 background task(s)", warning.Message, StringComparison.Ordinal);
        Assert.Contains("stubborn", warning.Message, StringComparison.Ordinal);
        Assert.Contains("never-started", warning.Message, StringComparison.Ordinal);
        Assert.Equal(4, host.Application.TaskCounters.Abandoned);
        Assert.Equal(0, host.Application.TaskCounters.Running);
        never.SetResult();
    }

    [Fact]
    public async Task FailingTask_NeverStopsTheHost()
    {
        await using var host = await TestHost.StartAsync(app =>
        {
            app.MapPost("/bad", (BackgroundTasks tasks) =>
            {
                tasks.AddTask(new Action(() => throw new OutOfMemoryException("pretend")));
                tasks.AddTask(new Action(() => throw new InvalidOperationException("second")));
                return "ok";
            });
            app.MapGet("/alive", () => "alive");
        });

        await host.Client.PostAsync("/bad", null);
        await host.Client.PostAsync("/bad", null);

        Assert.Equal("alive", await host.Client.GetStringAsync("/alive"));
        await host.StopAsync();
        Assert.Equal(4, host.Application.TaskCounters.Failed);
    }

    [Fact]
    public async Task RetryAndTimeout_RetriesWithBackoffThenCountsOneFailure()
    {
        int attempts = 0;
        await using var host = await TestHost.StartAsync(app => app.MapPost("/retry", (BackgroundTasks tasks) =>
        {
            tasks.AddTask(() =>
            {
                if (Interlocked.Increment(ref attempts) < 3)
                {
                    throw new TimeoutException("transient");
                }
            }).WithRetry(3, TimeSpan.FromMilliseconds(5));
            tasks.AddTask(ct => Task.Delay(Timeout.Infinite, ct)).WithTimeout(TimeSpan.FromMilliseconds(50)).WithName("times-out");
            return "ok";
        }));

        await host.Client.PostAsync("/retry", null);
        await host.StopAsync();

        Assert.Equal(3, attempts);
        BackgroundTaskCounters counters = host.Application.TaskCounters;
        Assert.Equal(2, counters.Retried);
        Assert.Equal(1, counters.Completed);
        Assert.Equal(1, counters.Failed);
        Assert.Equal("times-out", Assert.Single(counters.RecentFailures).Task);
    }

    [Fact]
    public async Task AddTask_OutsideRequest_ThrowsWithGuidance()
    {
        await using var host = await TestHost.StartAsync(_ => { });
        using IServiceScope scope = host.App.Services.CreateScope();
        var tasks = scope.ServiceProvider.GetRequiredService<BackgroundTasks>();

        var thrown = Assert.Throws<InvalidOperationException>(() => tasks.AddTask(() => { }));

        Assert.Contains("UseAfterward", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("Agent.BackgroundTask", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunningTask_SchedulesFollowUps_RunAfterItsListSkippedWhenItFails()
    {
        var order = new List<string>();
        await using var host = await TestHost.StartAsync(app => app.MapGet("/chain", (BackgroundTasks tasks) =>
        {
            tasks.AddTask((BackgroundTasks running) =>
            {
                order.Add("A");
                running.AddTask(() => order.Add("C")).WithName("follow-up-c");
                running.AddTask((BackgroundTasks again) =>
                {
                    order.Add("D");
                    again.AddTask(() => order.Add("E"));
                });
            });
            tasks.AddTask(() => order.Add("B"));
            tasks.AddTask((BackgroundTasks running) =>
            {
                running.AddTask(() => order.Add("never")).WithName("orphan");
                throw new InvalidOperationException("boom");
            });
        }));

        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/chain")).StatusCode);
        await host.StopAsync();

        Assert.Equal(["A", "B", "C", "D", "E"], order);
        BackgroundTaskCounters counters = host.Application.TaskCounters;
        Assert.Equal(5, counters.Completed);
        Assert.Equal(1, counters.Failed);
        Assert.Equal(1, counters.Skipped);
        Assert.Equal(0, counters.Queued);
        Assert.Contains(host.Logs.Entries, e => e.EventId == 2002 && e.Message.Contains("orphan", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Task_IsItsOwnBackgroundTransaction_WithQueueWaitRecorded()
    {
        await using var host = await TestHost.StartAsync(
            app => app.MapPost("/named", (BackgroundTasks tasks) =>
            {
                tasks.AddTask(Attributed);
                tasks.AddTask(() => { }).WithName("custom", "Task");
                return "ok";
            }));

        await host.Client.PostAsync("/named", null);
        await host.StopAsync();

        MetricsSnapshot snapshot = host.Snapshot();
        Assert.Equal(1, snapshot.Get("OtherTransaction/Jobs/attributed")?.CallCount);
        Assert.Equal(1, snapshot.Get("OtherTransaction/Task/custom")?.CallCount);
        Assert.Equal(2, snapshot.Get("Tasks/QueueTime")?.CallCount);
        Assert.Equal(1, snapshot.Get("WebTransaction/Route/POST /named")?.CallCount);
    }

    [BackgroundTask(Name = "attributed", Group = "Jobs")]
    private static void Attributed()
    {
    }

    [Fact]
    public async Task RequestServices_AndMinimalApiParameter_ResolveTheSameScopedInstance()
    {
        await using var host = await TestHost.StartAsync(app => app.MapGet("/same", (HttpContext context, BackgroundTasks tasks) =>
            ReferenceEquals(tasks, context.RequestServices.GetRequiredService<BackgroundTasks>())));

        Assert.True(await host.Client.GetFromJsonAsync<bool>("/same"));
    }

    [Fact]
    public async Task BackgroundTasksTakenFromRootServices_HandlerWithoutServiceParameter_TaskRunsInItsOwnScopeAndRequestMadeNone()
    {
        var ran = Signal();
        Tracker? used = null;
        bool requestScopeMade = true;
        await using var host = await TestHost.StartAsync(
            app =>
            {
                BackgroundTasks tasks = app.Services.GetRequiredService<BackgroundTasks>();
                app.MapPost("/captured", () =>
                {
                    tasks.AddTask((Tracker t) =>
                    {
                        used = t;
                        ran.SetResult();
                    });
                    return "ok";
                });
            },
            services: s => s.AddScoped<Tracker>(),
            beforeAfterward: app => app.Use(async (context, next) =>
            {
                await next(context);
                requestScopeMade = context.Features.Get<Microsoft.AspNetCore.Http.Features.IServiceProvidersFeature>() is not null;
            }));

        HttpResponseMessage response = await host.Client.PostAsync("/captured", null);
        await ran.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await host.StopAsync();

        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        Assert.False(requestScopeMade, "the handler made the request's DI scope");
        Assert.NotNull(used);
        Assert.True(used!.IsDisposed, "the task's scope was not disposed after its list");
        Assert.Equal(1, host.Snapshot().Get("Tasks/QueueTime")?.CallCount);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}

public sealed class Tracker : IDisposable
{
    public bool IsDisposed { get; private set; }

    public Action? OnDispose { get; set; }

    public void Dispose()
    {
        IsDisposed = true;
        OnDispose?.Invoke();
    }
}
