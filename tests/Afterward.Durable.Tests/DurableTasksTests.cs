using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Afterward.Durable.Tests;

public sealed record Greeting(string To, int Count);

/// <summary>Every semantic line of PRODUCT.md §5, through a real server and a real SQLite file.</summary>
public class DurableTasksTests
{
    [Fact]
    public async Task AddDurableTask_DuringTheRequest_HeldUntilTheResponseCompleted()
    {
        var probe = new Probe();
        var added = new TaskCompletionSource<string>();
        var finishRequest = new TaskCompletionSource();
        await using DurableHost host = await DurableHost.StartAsync(
            d => d.AddHandler<Greeting>("greet", (g, _, _) => Record(probe, "greet", g)),
            app => app.MapPost("/greet", async (BackgroundTasks tasks) =>
            {
                string id = await tasks.AddDurableTaskAsync("greet", new Greeting("ada", 1));
                added.SetResult(id);
                await finishRequest.Task;
                return Results.Accepted("/tasks/" + id, new { id });
            }));

        Task<HttpResponseMessage> response = host.Client.PostAsync("/greet", null);
        string id = await added.Task.WaitAsync(DurableHost.Wait);

        // Stored before AddDurableTaskAsync returned, not runnable while the handler still runs.
        DurableTaskInfo stored = (await host.Tasks.GetAsync(id))!;
        Assert.Equal(DurableTaskState.Scheduled, stored.State);
        Assert.Equal("greet", stored.Name);
        Assert.Empty(probe.Calls);

        finishRequest.SetResult();
        using HttpResponseMessage answered = await response;
        Assert.Equal(HttpStatusCode.Accepted, answered.StatusCode);
        DurableTaskInfo done = await host.WaitForStateAsync(id, DurableTaskState.Succeeded);

        Assert.Equal(1, done.Attempts);
        Assert.Equal(new Greeting("ada", 1), Assert.Single(probe.Calls).Payload);
    }

    [Fact]
    public async Task HandlerFails_AfterAddingADurableTask_TaskDeletedWithWarning()
    {
        var probe = new Probe();
        string? id = null;
        await using DurableHost host = await DurableHost.StartAsync(
            d => d.AddHandler<Greeting>("greet", (g, _, _) => Record(probe, "greet", g)),
            app => app.MapPost("/fails", async (BackgroundTasks tasks) =>
            {
                id = await tasks.AddDurableTaskAsync("greet", new Greeting("bob", 1));
                throw new InvalidOperationException("the handler failed");
            }));

        using HttpResponseMessage response = await host.Client.PostAsync("/fails", null);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var warning = await host.Logs.WaitForAsync(e => e.EventId == 4001, DurableHost.Wait);
        Assert.Contains("greet", warning.Message, StringComparison.Ordinal);
        Assert.Null(await host.Tasks.GetAsync(id!));
        Assert.Empty(probe.Calls);
    }

    [Fact]
    public async Task FailingRuns_RetriedWithBackoff_ThenSucceeded()
    {
        int runs = 0;
        await using DurableHost host = await DurableHost.StartAsync(d => d.AddHandler<int>("flaky", (_, _, _) =>
            Interlocked.Increment(ref runs) < 3 ? throw new TimeoutException("not yet") : Task.CompletedTask));

        string id = await host.Tasks.EnqueueAsync("flaky", 7);
        DurableTaskInfo done = await host.WaitForStateAsync(id, DurableTaskState.Succeeded);

        Assert.Equal(3, done.Attempts);
        Assert.Equal(3, runs);
        Assert.Contains(host.Logs.Entries, e => e.EventId == 4002);
    }

    [Fact]
    public async Task OutOfAttempts_Dead_RetryAsyncRunsItAgain()
    {
        bool fixedNow = false;
        await using DurableHost host = await DurableHost.StartAsync(d => d.AddHandler<int>("broken", (_, _, _) =>
            fixedNow ? Task.CompletedTask : throw new InvalidOperationException("boom")));

        string id = await host.Tasks.EnqueueAsync("broken", 1, new EnqueueOptions { MaxAttempts = 2 });
        DurableTaskInfo dead = await host.WaitForStateAsync(id, DurableTaskState.Dead);
        Assert.Equal(2, dead.Attempts);
        Assert.Equal("System.InvalidOperationException: boom", dead.LastError);
        Assert.NotNull(dead.CompletedAt);

        fixedNow = true;
        Assert.True(await host.Tasks.RetryAsync(id));
        DurableTaskInfo succeeded = await host.WaitForStateAsync(id, DurableTaskState.Succeeded);

        Assert.Equal(1, succeeded.Attempts);
        Assert.False(await host.Tasks.RetryAsync(id));
    }

    [Fact]
    public async Task Delay_TaskScheduled_RunsNoEarlier()
    {
        // The agent's clock is driven by the test: on a busy machine a real 400 ms could pass before the first read.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var probe = new Probe();
        await using DurableHost host = await DurableHost.StartAsync(d => d.AddHandler<int>("later", (n, _, _) => Record(probe, "later", n)), time: time);

        string id = await host.Tasks.EnqueueAsync("later", 1, new EnqueueOptions { Delay = TimeSpan.FromMilliseconds(400) });
        Assert.Equal(DurableTaskState.Scheduled, (await host.Tasks.GetAsync(id))!.State);

        time.Advance(TimeSpan.FromMilliseconds(399));
        Assert.Equal(DurableTaskState.Scheduled, (await host.Tasks.GetAsync(id))!.State);
        Assert.Empty(probe.Calls);

        // Due now. The runner waits for at most its poll interval on the fake clock, so moving the clock on by that
        // much while waiting lets its loop come round whenever it checks the time.
        time.Advance(TimeSpan.FromMilliseconds(1));
        DurableTaskInfo done = await host.WaitForStateAsync(id, DurableTaskState.Succeeded, () => time.Advance(DurableHost.PollInterval));
        Assert.Equal(1, Assert.Single(probe.Calls).Payload);
        Assert.True(done.StartedAt - done.EnqueuedAt >= TimeSpan.FromMilliseconds(400), $"started {done.StartedAt - done.EnqueuedAt} after enqueue");
    }

    [Fact]
    public async Task Key_WhileTaskLives_SameIdNothingStored()
    {
        var release = new TaskCompletionSource();
        var probe = new Probe();
        await using DurableHost host = await DurableHost.StartAsync(d => d.AddHandler<int>("once", async (n, _, _) =>
        {
            await Record(probe, "once", n);
            await release.Task;
        }));

        string first = await host.Tasks.EnqueueAsync("once", 1, new EnqueueOptions { Key = "user-42" });
        string second = await host.Tasks.EnqueueAsync("once", 2, new EnqueueOptions { Key = "user-42" });
        await probe.WaitForCallsAsync(1);
        string whileRunning = await host.Tasks.EnqueueAsync("once", 3, new EnqueueOptions { Key = "user-42" });
        release.SetResult();
        await host.WaitForStateAsync(first, DurableTaskState.Succeeded);
        string afterSuccess = await host.Tasks.EnqueueAsync("once", 4, new EnqueueOptions { Key = "user-42" });
        await host.WaitForStateAsync(afterSuccess, DurableTaskState.Succeeded);

        Assert.Equal(first, second);
        Assert.Equal(first, whileRunning);
        Assert.NotEqual(first, afterSuccess);
        Assert.Equal([1, 4], probe.Calls.Select(c => (int)c.Payload!));
    }

    [Fact]
    public async Task Delete_WaitingTask_RemovedUnknownIdsAnswerNullOrFalse()
    {
        await using DurableHost host = await DurableHost.StartAsync(d => d.AddHandler<int>("later", (_, _, _) => Task.CompletedTask));
        string id = await host.Tasks.EnqueueAsync("later", 1, new EnqueueOptions { Delay = TimeSpan.FromHours(1), Key = "k" });

        Assert.True(await host.Tasks.DeleteAsync(id));
        Assert.Null(await host.Tasks.GetAsync(id));
        Assert.False(await host.Tasks.DeleteAsync(id));
        Assert.False(await host.Tasks.RetryAsync("no-such-id"));
        Assert.Null(await host.Tasks.GetAsync("no-such-id"));

        // Deleting freed the key.
        Assert.NotEqual(id, await host.Tasks.EnqueueAsync("later", 2, new EnqueueOptions { Delay = TimeSpan.FromHours(1), Key = "k" }));
    }

    [Fact]
    public async Task Transaction_RolledBackStoresNothing_CommittedRuns()
    {
        var probe = new Probe();
        await using DurableHost host = await DurableHost.StartAsync(d => d.AddHandler<int>("outbox", (n, _, _) => Record(probe, "outbox", n)));
        await host.Tasks.GetAsync("warm-up");
        await using var connection = new SqliteConnection("Data Source=" + host.File);
        await connection.OpenAsync();

        string rolledBack;
        await using (var tx = (SqliteTransaction)await connection.BeginTransactionAsync())
        {
            rolledBack = await host.Tasks.EnqueueAsync("outbox", 1, new EnqueueOptions { Transaction = tx });
            await tx.RollbackAsync();
        }

        string committed;
        await using (var tx = (SqliteTransaction)await connection.BeginTransactionAsync())
        {
            committed = await host.Tasks.EnqueueAsync("outbox", 2, new EnqueueOptions { Transaction = tx });
            Assert.Null(await host.Tasks.GetAsync(committed));
            await tx.CommitAsync();
        }

        await host.WaitForStateAsync(committed, DurableTaskState.Succeeded);
        Assert.Null(await host.Tasks.GetAsync(rolledBack));
        Assert.Equal([2], probe.Calls.Select(c => (int)c.Payload!));
    }

    [Fact]
    public async Task GracefulStop_RunningTaskPutBack_NextHostFinishesIt()
    {
        string file = DurableHost.NewFile();
        var started = new TaskCompletionSource();
        string id;
        await using (DurableHost first = await DurableHost.StartAsync(d => d.AddHandler<int>("long", async (_, _, token) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
        }), file: file, shutdownTimeout: TimeSpan.FromMilliseconds(300)))
        {
            id = await first.Tasks.EnqueueAsync("long", 1);
            await started.Task.WaitAsync(DurableHost.Wait);
            await first.App.StopAsync();
            var released = await first.Logs.WaitForAsync(e => e.EventId == 4004, DurableHost.Wait);
            Assert.Contains("long", released.Message, StringComparison.Ordinal);
        }

        var probe = new Probe();
        await using DurableHost second = await DurableHost.StartAsync(d => d.AddHandler<int>("long", (n, _, _) => Record(probe, "long", n)), file: file);
        DurableTaskInfo done = await second.WaitForStateAsync(id, DurableTaskState.Succeeded);

        // The run put back by the graceful stop does not count.
        Assert.Equal(1, done.Attempts);
        Assert.Single(probe.Calls);
    }

    [Fact]
    public async Task CorruptPayload_TaskDeadWithReason_WorkerKeepsWorking()
    {
        await using DurableHost host = await DurableHost.StartAsync(d => d.AddHandler<Greeting>("greet", (_, _, _) => Task.CompletedTask));
        string bad = await host.Tasks.EnqueueAsync("greet", new Greeting("x", 1), new EnqueueOptions { Delay = TimeSpan.FromHours(1) });
        await using (var connection = new SqliteConnection("Data Source=" + host.File))
        {
            await connection.OpenAsync();
            await using SqliteCommand corrupt = connection.CreateCommand();
            corrupt.CommandText = "UPDATE afterward_tasks SET payload = '{\"to\": [not json', run_at = 0 WHERE id = $id;";
            corrupt.Parameters.AddWithValue("$id", bad);
            Assert.Equal(1, await corrupt.ExecuteNonQueryAsync());
        }

        host.App.Services.GetRequiredService<Runtime.DurableTaskRunner>().Wake();
        DurableTaskInfo dead = await host.WaitForStateAsync(bad, DurableTaskState.Dead);
        string good = await host.Tasks.EnqueueAsync("greet", new Greeting("y", 2));

        Assert.StartsWith("Afterward.PayloadUnreadable: System.Text.Json.JsonException", dead.LastError, StringComparison.Ordinal);
        Assert.Equal(1, dead.Attempts);
        await host.WaitForStateAsync(good, DurableTaskState.Succeeded);
    }

    [Fact]
    public async Task RemovedHandler_TaskWaitsForAHostThatHasIt()
    {
        string file = DurableHost.NewFile();
        string orphan;
        await using (DurableHost before = await DurableHost.StartAsync(d => d.AddRemoteHandler<int>("gone").AddHandler<int>("kept", (_, _, _) => Task.CompletedTask), file: file))
        {
            orphan = await before.Tasks.EnqueueAsync("gone", 1);
        }

        await using DurableHost after = await DurableHost.StartAsync(d => d.AddHandler<int>("kept", (_, _, _) => Task.CompletedTask), file: file);
        string kept = await after.Tasks.EnqueueAsync("kept", 2);
        await after.WaitForStateAsync(kept, DurableTaskState.Succeeded);

        Assert.Equal(DurableTaskState.Queued, (await after.Tasks.GetAsync(orphan))!.State);
        await Assert.ThrowsAsync<ArgumentException>(() => after.Tasks.EnqueueAsync("gone", 3));
    }

    [Fact]
    public async Task Timeout_FiresTheToken_RunCountsAsFailed()
    {
        await using DurableHost host = await DurableHost.StartAsync(d => d.AddHandler<int>("slow", (_, _, token) => Task.Delay(Timeout.Infinite, token)));

        string id = await host.Tasks.EnqueueAsync("slow", 1, new EnqueueOptions { Timeout = TimeSpan.FromMilliseconds(50), MaxAttempts = 1 });
        DurableTaskInfo dead = await host.WaitForStateAsync(id, DurableTaskState.Dead);

        Assert.StartsWith("System.Threading.Tasks.TaskCanceledException", dead.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EachRun_ABackgroundTransaction_WithErrors()
    {
        bool fail = true;
        await using DurableHost host = await DurableHost.StartAsync(d => d.AddHandler<int>("tracked", (_, _, _) =>
        {
            bool now = fail;
            fail = false;
            return now ? throw new InvalidOperationException("first run fails") : Task.CompletedTask;
        }));

        string id = await host.Tasks.EnqueueAsync("tracked", 1);
        await host.WaitForStateAsync(id, DurableTaskState.Succeeded);
        await WaitUntilAsync(() => Agent.Snapshot(host.AppName).Get("OtherTransaction/DurableTask/tracked")?.CallCount == 2);

        MetricsSnapshot snapshot = Agent.Snapshot(host.AppName);
        Assert.Equal(1, snapshot.Get("Errors/OtherTransaction/DurableTask/tracked")?.CallCount);
        Assert.NotNull(snapshot.Get("OtherTransaction/all"));
    }

    [Fact]
    public async Task Handler_Class_CreatedInTheRunsScope()
    {
        await using DurableHost host = await DurableHost.StartAsync(
            d => d.AddHandler<Greeting, GreetingHandler>("class"),
            services: s => s.AddSingleton<Probe>().AddScoped<ScopedThing>());

        string id = await host.Tasks.EnqueueAsync("class", new Greeting("cy", 3));
        await host.WaitForStateAsync(id, DurableTaskState.Succeeded);

        var probe = host.App.Services.GetRequiredService<Probe>();
        Assert.Equal(new Greeting("cy", 3), Assert.Single(probe.Calls).Payload);
        Assert.True(ScopedThing.Disposed >= 1);
    }

    private static Task Record(Probe probe, string name, object? payload, DurableTaskContext? context = null)
    {
        probe.Record(name, payload, context ?? new DurableTaskContext("?", name, 1, DateTimeOffset.MinValue));
        return Task.CompletedTask;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(DurableHost.Wait);
        while (!condition())
        {
            await Task.Delay(10, deadline.Token);
        }
    }

    internal sealed class ScopedThing : IDisposable
    {
        public static int Disposed;

        public void Dispose() => Interlocked.Increment(ref Disposed);
    }

    internal sealed class GreetingHandler(Probe probe, ScopedThing scoped) : IDurableTaskHandler<Greeting>
    {
        public Task HandleAsync(Greeting payload, DurableTaskContext context, CancellationToken cancellationToken)
        {
            GC.KeepAlive(scoped);
            probe.Record(context.Name, payload, context);
            return Task.CompletedTask;
        }
    }
}
