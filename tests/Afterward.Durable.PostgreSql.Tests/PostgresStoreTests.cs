using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Afterward.Durable.PostgreSql.Tests;

/// <summary>Several instances on one real PostgreSQL database (issue 13). No mocks of the database.</summary>
public class PostgresStoreTests
{
    [Fact]
    public async Task ThreeInstances_2000Tasks_EachSucceededExactlyOnceLoadSpread()
    {
        string schema = Postgres.NewSchema();
        string directory = Directory.CreateTempSubdirectory("afterward-pg-").FullName;
        await using Instance a = await Instance.StartAsync(schema, Path.Combine(directory, "a.log"));
        await using Instance b = await Instance.StartAsync(schema, Path.Combine(directory, "b.log"));
        await using Instance c = await Instance.StartAsync(schema, Path.Combine(directory, "c.log"));
        using IHost enqueuer = await EnqueuerAsync(schema, "work");
        IDurableTasks tasks = enqueuer.Services.GetRequiredService<IDurableTasks>();

        await Parallel.ForAsync(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (n, _) => await tasks.EnqueueAsync("work", n));
        await Postgres.WaitUntilAsync(async () => await Postgres.ScalarAsync($"SELECT count(*) FROM {schema}.tasks WHERE state = 2") == 2000);

        int[][] ran = [a.Ran, b.Ran, c.Ran];
        int[] all = [.. ran.SelectMany(r => r)];
        Assert.Equal(2000, all.Length);
        Assert.Equal(Enumerable.Range(0, 2000), all.Order());
        Assert.All(ran, r => Assert.NotEmpty(r));
        Assert.Equal(3, await Postgres.ScalarAsync($"SELECT count(DISTINCT last_instance) FROM {schema}.tasks"));
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
        await using var connection = new NpgsqlConnection(Postgres.ConnectionString);
        await connection.OpenAsync();

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

        Assert.Equal(1, await Postgres.ScalarAsync($"SELECT count(*) FROM {schema}.schema_version"));
        Assert.Equal(1, await Postgres.ScalarAsync($"SELECT max(version) FROM {schema}.schema_version"));
        foreach (IHost host in hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    [Fact]
    public async Task PostgresRestarted_UnderLoad_TasksResumeNoneLost()
    {
        string schema = Postgres.NewSchema();
        var ran = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        using IHost host = await Postgres.StartAsync(schema, d => d.AddHandler<int>("steady", (n, _, _) =>
        {
            ran.AddOrUpdate(n, 1, static (_, c) => c + 1);
            return Task.Delay(2);
        }));
        IDurableTasks tasks = host.Services.GetRequiredService<IDurableTasks>();
        var accepted = new List<string>();
        for (int i = 0; i < 100; i++)
        {
            accepted.Add(await tasks.EnqueueAsync("steady", i));
        }

        await Postgres.ControlAsync("restart");

        // Enqueues right after the restart may meet the server still coming up: the caller retries, as an app would.
        for (int i = 100; i < 200; i++)
        {
            accepted.Add(await Retry(() => tasks.EnqueueAsync("steady", i)));
        }

        await Postgres.WaitUntilAsync(async () => await Postgres.ScalarAsync($"SELECT count(*) FROM {schema}.tasks WHERE state = 2") == 200);
        Assert.Equal(Enumerable.Range(0, 200), ran.Keys.Order());
        Assert.Equal(200, accepted.Distinct().Count());
    }

    /// <summary>An instance that only enqueues (MaxConcurrency 0) tasks another instance runs.</summary>
    private static Task<IHost> EnqueuerAsync(string schema, string name) => Postgres.StartAsync(schema, d =>
    {
        d.Options.MaxConcurrency = 0;
        d.AddRemoteHandler<int>(name);
    });

    private static async Task<string> Retry(Func<Task<string>> enqueue)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await enqueue();
            }
            catch (NpgsqlException) when (attempt < 50)
            {
                await Task.Delay(100);
            }
        }
    }

    private static Task Record(List<string> into, string what)
    {
        lock (into)
        {
            into.Add(what);
        }

        return Task.CompletedTask;
    }
}
