using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Afterward.Durable.PostgreSql.Tests;

/// <summary>Several instances on one real PostgreSQL database (issue 13). No mocks of the database.</summary>
[Collection(PostgresCollection.Name)]
public class PostgresStoreTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task SeveralInstances_2000Tasks_EachSucceededExactlyOnceLoadSpread(int count)
    {
        string schema = Postgres.NewSchema();
        string directory = Directory.CreateTempSubdirectory("afterward-pg-").FullName;
        await using var instances = new Instances();
        for (int i = 0; i < count; i++)
        {
            instances.Add(await Instance.StartAsync(schema, Path.Combine(directory, $"{i}.log")));
        }

        using IHost enqueuer = await EnqueuerAsync(schema, "work");
        IDurableTasks tasks = enqueuer.Services.GetRequiredService<IDurableTasks>();

        await Parallel.ForAsync(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (n, _) => await tasks.EnqueueAsync("work", n));
        await Postgres.WaitUntilAsync(async () => await Postgres.ScalarAsync($"SELECT count(*) FROM {schema}.tasks WHERE state = 2") == 2000);

        int[][] ran = [.. instances.Select(i => i.Ran)];
        int[] all = [.. ran.SelectMany(r => r)];
        Assert.Equal(2000, all.Length);
        Assert.Equal(Enumerable.Range(0, 2000), all.Order());
        Assert.All(ran, r => Assert.NotEmpty(r));
        Assert.Equal(count, await Postgres.ScalarAsync($"SELECT count(DISTINCT last_instance) FROM {schema}.tasks"));
    }

    /// <summary>The instances a test started, stopped at its end however it ends.</summary>
    private sealed class Instances : List<Instance>, IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (Instance instance in this)
            {
                await instance.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task SigkillOneOfTwo_SurvivorFinishesItsTasks_NoneLost()
    {
        string schema = Postgres.NewSchema();
        string directory = Directory.CreateTempSubdirectory("afterward-pg-").FullName;
        await using Instance survivor = await Instance.StartAsync(schema, Path.Combine(directory, "survivor.log"));
        await using Instance victim = await Instance.StartAsync(schema, Path.Combine(directory, "victim.log"));
        using IHost enqueuer = await EnqueuerAsync(schema, "work");
        IDurableTasks tasks = enqueuer.Services.GetRequiredService<IDurableTasks>();
        // Enough work that the victim, a cold process, has claimed some before the warm survivor ran it all.
        await Parallel.ForAsync(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (n, _) => await tasks.EnqueueAsync("work", n));

        await Postgres.WaitUntilAsync(() => Task.FromResult(victim.Ran.Length >= 20));
        victim.Kill();
        await Postgres.WaitUntilAsync(async () => await Postgres.ScalarAsync($"SELECT count(*) FROM {schema}.tasks WHERE state = 2") == 2000);

        int[] ran = [.. survivor.Ran, .. victim.Ran];
        Assert.Equal(Enumerable.Range(0, 2000), ran.Distinct().Order());
        Assert.Equal(0, await Postgres.ScalarAsync($"SELECT count(*) FROM {schema}.tasks WHERE state <> 2"));
    }

    [Fact]
    public async Task TwoInstances_EachClaimsOnlyTheNamesItHandles()
    {
        string schema = Postgres.NewSchema();
        var ranOnA = new List<string>();
        var ranOnB = new List<string>();
        using IHost a = await Postgres.StartAsync(schema, d => d.AddHandler<int>("a", (_, _, _) => Record(ranOnA, "a")).AddRemoteHandler<int>("b"));
        using IHost b = await Postgres.StartAsync(schema, d => d.AddHandler<int>("b", (_, _, _) => Record(ranOnB, "b")).AddRemoteHandler<int>("a"));
        IDurableTasks fromA = a.Services.GetRequiredService<IDurableTasks>();

        string[] ids = [.. await Task.WhenAll(Enumerable.Range(0, 20).Select(i => fromA.EnqueueAsync(i % 2 == 0 ? "a" : "b", i)))];
        await Postgres.WaitUntilAsync(async () => await Postgres.ScalarAsync($"SELECT count(*) FROM {schema}.tasks WHERE state = 2") == 20);

        Assert.Equal(10, ranOnA.Count);
        Assert.Equal(10, ranOnB.Count);
        Assert.All(ranOnA, n => Assert.Equal("a", n));
        Assert.All(ranOnB, n => Assert.Equal("b", n));
        DurableTaskInfo info = (await fromA.GetAsync(ids[1]))!;
        Assert.Equal(DurableTaskState.Succeeded, info.State);
    }

    [Fact]
    public async Task TaskEnqueuedByAnotherInstance_StartsOnNotifyNotOnAPoll()
    {
        string schema = Postgres.NewSchema();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IHost worker = await Postgres.StartAsync(schema, d =>
        {
            d.AddHandler<int>("wake", (_, _, _) =>
            {
                started.TrySetResult();
                return Task.CompletedTask;
            });
            d.Options.PollInterval = TimeSpan.FromMinutes(1);
        });
        using IHost other = await EnqueuerAsync(schema, "wake");
        await other.Services.GetRequiredService<IDurableTasks>().GetAsync("warm-up");
        await worker.Services.GetRequiredService<IDurableTasks>().GetAsync("warm-up");

        await other.Services.GetRequiredService<IDurableTasks>().EnqueueAsync("wake", 1);

        // The worker polls once a minute: only the notification can start it this soon.
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Transaction_RolledBackStoresNothing_CommittedRuns()
    {
        string schema = Postgres.NewSchema();
        var ran = new List<string>();
        using IHost host = await Postgres.StartAsync(schema, d => d.AddHandler<int>("outbox", (n, _, _) => Record(ran, n.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        IDurableTasks tasks = host.Services.GetRequiredService<IDurableTasks>();
        await tasks.GetAsync("warm-up");
        await using NpgsqlConnection connection = await Postgres.OpenAsync();

        string rolledBack;
        await using (NpgsqlTransaction tx = await connection.BeginTransactionAsync())
        {
            rolledBack = await tasks.EnqueueAsync("outbox", 1, new EnqueueOptions { Transaction = tx });
            await tx.RollbackAsync();
        }

        string committed;
        await using (NpgsqlTransaction tx = await connection.BeginTransactionAsync())
        {
            committed = await tasks.EnqueueAsync("outbox", 2, new EnqueueOptions { Transaction = tx });
            Assert.Null(await tasks.GetAsync(committed));
            await tx.CommitAsync();
        }

        await Postgres.WaitUntilAsync(async () => (await tasks.GetAsync(committed))?.State == DurableTaskState.Succeeded);
        Assert.Null(await tasks.GetAsync(rolledBack));
        Assert.Equal(["2"], ran);
    }

    [Fact]
    public async Task Migration_ThreeInstancesStartingAtOnce_OneSchemaVersion()
    {
        string schema = Postgres.NewSchema();

        IHost[] hosts = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Postgres.StartAsync(schema, d => d.AddHandler<int>("x", (_, _, _) => Task.CompletedTask))));
        await Task.WhenAll(hosts.Select(h => h.Services.GetRequiredService<IDurableTasks>().GetAsync("warm-up")));

        // Each version applied once, by one of them.
        Assert.Equal(PostgresSchema.Version, await Postgres.ScalarAsync($"SELECT count(DISTINCT version) FROM {schema}.schema_version"));
        Assert.Equal(PostgresSchema.Version, await Postgres.ScalarAsync($"SELECT count(*) FROM {schema}.schema_version"));
        Assert.Equal(PostgresSchema.Version, await Postgres.ScalarAsync($"SELECT max(version) FROM {schema}.schema_version"));
        foreach (IHost host in hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    [Fact]
    public async Task PostgresRestarted_UnderLoad_AppKeepsAnswering_TasksResumeNoneLost()
    {
        string schema = Postgres.NewSchema();
        var ran = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        await using WebApplication app = await Postgres.StartWebAsync(schema, d => d.AddHandler<int>("steady", (n, _, _) =>
        {
            ran.AddOrUpdate(n, 1, static (_, c) => c + 1);
            return Task.Delay(2);
        }), web =>
        {
            web.MapGet("/ping", () => "pong");
            web.MapPost("/steady/{n:int}", async (int n, BackgroundTasks tasks) => await tasks.AddDurableTaskAsync("steady", n));
        });
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(15) };
        var accepted = new List<string>();
        for (int i = 0; i < 100; i++)
        {
            accepted.Add(await Accept(client, i));
        }

        // Pings go on from before the restart until every task has run: none may fail or hang (the client's
        // time-out would fail it), whatever the store is doing meanwhile.
        using var done = new CancellationTokenSource();
        var pings = new List<HttpStatusCode>();
        Task pinging = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                using HttpResponseMessage pong = await client.GetAsync("/ping");
                pings.Add(pong.StatusCode);
                await Task.Delay(20); // a steady trickle, not a flood competing with the workers
            }
        });

        await Postgres.ControlAsync("restart");

        // Requests right after the restart may meet the server still coming up: the request fails (500) and the
        // client retries, as a user would; the ping endpoint, which needs no database, answers throughout.
        for (int i = 100; i < 200; i++)
        {
            accepted.Add(await Accept(client, i, retry: true));
        }

        await Postgres.WaitUntilAsync(async () => await Postgres.ScalarAsync($"SELECT count(*) FROM {schema}.tasks WHERE state = 2") == 200);
        await done.CancelAsync();
        await pinging;
        Assert.Equal(Enumerable.Range(0, 200), ran.Keys.Order());
        Assert.Equal(200, accepted.Distinct().Count());
        Assert.NotEmpty(pings);
        Assert.All(pings, status => Assert.Equal(HttpStatusCode.OK, status));
    }

    private static async Task<string> Accept(HttpClient client, int n, bool retry = false)
    {
        for (int attempt = 1; ; attempt++)
        {
            using HttpResponseMessage response = await client.PostAsync($"/steady/{n}", null);
            if (response.IsSuccessStatusCode)
            {
                return await response.Content.ReadAsStringAsync();
            }

            Assert.True(retry && attempt < 50, $"enqueue {n}: {(int)response.StatusCode}");
            await Task.Delay(100);
        }
    }

    /// <summary>An instance that only enqueues (MaxConcurrency 0) tasks another instance runs.</summary>
    private static Task<IHost> EnqueuerAsync(string schema, string name) => Postgres.StartAsync(schema, d =>
    {
        d.Options.MaxConcurrency = 0;
        d.AddRemoteHandler<int>(name);
    });

    private static Task Record(List<string> into, string what)
    {
        lock (into)
        {
            into.Add(what);
        }

        return Task.CompletedTask;
    }
}
