// Durable tasks side by side with Hangfire on SQLite, on the same disk and the same trivial job.
//   dotnet run -c Release --project benchmarks/Afterward.DurableBench -- afterward <tasks>     tasks/s enqueued and completed, enqueue latency
//   dotnet run -c Release --project benchmarks/Afterward.DurableBench -- hangfire <tasks>      the same with Hangfire.Core + Hangfire.Storage.SQLite
//   dotnet run -c Release --project benchmarks/Afterward.DurableBench -- start-latency <n>     response → handler start, idle server, sequential requests
//   dotnet run -c Release --project benchmarks/Afterward.DurableBench -- server durable|memory serves POST /work for an external load generator (wrk)
//   ... -- pg <tasks> <worker processes 0|1|2> <connection string> [warm-up tasks]
//                                                                      PostgreSQL: enqueue, then run by that many pg-worker processes
//                                                                      (each first runs batches of that many tasks of its own, in
//                                                                      another schema, until a batch compiles no more methods)
//   ... -- pg-latency <n> <connection string>                          enqueue → start on another (idle) instance
//   ... -- hangfire-pg <jobs> <connection string>                      Hangfire.Core + Hangfire.PostgreSql
// (benchmarks/durable-postgres.sh runs the PostgreSQL modes; BENCH_LOG=1 keeps the PostgreSQL hosts' console logging.)
using System.Diagnostics;
using Afterward;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.Storage.SQLite;

string mode = args.Length > 0 ? args[0] : "afterward";
int count = args.Length > 1 && int.TryParse(args[1], out int parsed) ? parsed : 20_000;
const int Producers = 8;
string directory = Path.Combine(Path.GetTempPath(), "afterward-bench", Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(directory);
try
{
    switch (mode)
    {
        case "afterward":
            await AfterwardThroughput(count);
            break;
        case "hangfire":
            await HangfireThroughput(count);
            break;
        case "start-latency":
            await StartLatency(count);
            break;
        case "server":
            await Server(args.Length > 1 ? args[1] : "durable");
            break;
        case "pg":
            await PostgresThroughput(count, int.Parse(args[2]), args[3], args.Length > 4 ? int.Parse(args[4]) : 0);
            break;
        case "pg-worker":
            await PostgresWorker(args[1], args[2], int.Parse(args[3]), args.Length > 4 ? args[4] : null);
            break;
        case "pg-latency":
            await PostgresLatency(count, args[2]);
            break;
        case "hangfire-pg":
            await HangfirePostgres(count, args[2]);
            break;
        default:
            Console.Error.WriteLine("modes: afterward | hangfire | start-latency | server durable|memory");
            return 2;
    }
}
finally
{
    try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
}

return 0;

async Task AfterwardThroughput(int total)
{
    int done = 0;
    var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    HostApplicationBuilder builder = Host.CreateApplicationBuilder();
    builder.Logging.ClearProviders();
    builder.Services.AddAfterward(o => o.AppName = "bench");
    builder.Services.AddDurableTasks(d =>
    {
        d.UseSqlite("Data Source=" + Path.Combine(directory, "afterward.db"));
        d.AddHandler<int>("noop", (_, _, _) =>
        {
            if (Interlocked.Increment(ref done) == total)
            {
                all.TrySetResult();
            }

            return Task.CompletedTask;
        });
    });
    using IHost host = builder.Build();
    await host.StartAsync();
    IDurableTasks tasks = host.Services.GetRequiredService<IDurableTasks>();
    await tasks.GetAsync("warm-up");

    var latencies = new double[total];
    var clock = Stopwatch.StartNew();
    await Parallel.ForAsync(0, total, new ParallelOptions { MaxDegreeOfParallelism = Producers }, async (i, _) =>
    {
        long start = Stopwatch.GetTimestamp();
        await tasks.EnqueueAsync("noop", i);
        latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    });
    TimeSpan enqueued = clock.Elapsed;
    await all.Task.WaitAsync(TimeSpan.FromMinutes(5));
    TimeSpan completed = clock.Elapsed;
    Array.Sort(latencies);
    Console.WriteLine($"afterward sqlite: {total} tasks, {Producers} producers; enqueued {total / enqueued.TotalSeconds:F0}/s; enqueued+completed {total / completed.TotalSeconds:F0}/s; " +
        $"enqueue p50 {latencies[total / 2]:F3} ms, p99 {latencies[(int)(total * 0.99)]:F3} ms");
    await host.StopAsync();
}

async Task HangfireThroughput(int total)
{
    HangfireJob.Reset(total);
    GlobalConfiguration.Configuration
        .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
        .UseSimpleAssemblyNameTypeSerializer()
        .UseRecommendedSerializerSettings()
        .UseSQLiteStorage(Path.Combine(directory, "hangfire.db"));
    using var server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = Math.Max(8, 2 * Environment.ProcessorCount) });
    var latencies = new double[total];
    var clock = Stopwatch.StartNew();
    await Parallel.ForAsync(0, total, new ParallelOptions { MaxDegreeOfParallelism = Producers }, (i, _) =>
    {
        long start = Stopwatch.GetTimestamp();
        BackgroundJob.Enqueue(() => HangfireJob.Run(i));
        latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return ValueTask.CompletedTask;
    });
    TimeSpan enqueued = clock.Elapsed;
    await HangfireJob.All.WaitAsync(TimeSpan.FromMinutes(10));
    TimeSpan completed = clock.Elapsed;
    Array.Sort(latencies);
    Console.WriteLine($"hangfire sqlite: {total} jobs, {Producers} producers; enqueued {total / enqueued.TotalSeconds:F0}/s; enqueued+completed {total / completed.TotalSeconds:F0}/s; " +
        $"enqueue p50 {latencies[total / 2]:F3} ms, p99 {latencies[(int)(total * 0.99)]:F3} ms");
}

async Task StartLatency(int requests)
{
    long startedAt = 0;
    var started = new SemaphoreSlim(0);
    WebApplication app = WebApp(builder => builder.Services.AddDurableTasks(d =>
    {
        d.UseSqlite("Data Source=" + Path.Combine(directory, "latency.db"));
        d.AddHandler<int>("noop", (_, _, _) =>
        {
            Volatile.Write(ref startedAt, Stopwatch.GetTimestamp());
            started.Release();
            return Task.CompletedTask;
        });
    }));
    var enqueues = new List<double>();
    app.MapPost("/work", async (BackgroundTasks tasks) =>
    {
        long start = Stopwatch.GetTimestamp();
        string id = await tasks.AddDurableTaskAsync("noop", 1);
        lock (enqueues)
        {
            enqueues.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return Results.Accepted(null, id);
    });
    await app.StartAsync();
    using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
    var gaps = new List<double>();
    for (int i = 0; i < requests + 20; i++)
    {
        using HttpResponseMessage response = await client.PostAsync("/work", null);
        long received = Stopwatch.GetTimestamp();
        await started.WaitAsync(TimeSpan.FromSeconds(10));
        if (i >= 20)
        {
            // Negative when the task started before the client had read the response: the start follows the response's completion on the server.
            gaps.Add(Stopwatch.GetElapsedTime(received, Volatile.Read(ref startedAt)).TotalMilliseconds);
        }
    }

    gaps.Sort();
    enqueues.RemoveRange(0, 20);
    enqueues.Sort();
    Console.WriteLine($"afterward sqlite response → start, idle, {requests} sequential requests: p50 {gaps[gaps.Count / 2]:F3} ms, p99 {gaps[(int)(gaps.Count * 0.99)]:F3} ms; " +
        $"AddDurableTaskAsync on the request path p50 {enqueues[enqueues.Count / 2]:F3} ms, p99 {enqueues[(int)(enqueues.Count * 0.99)]:F3} ms");
    await app.StopAsync();
}

async Task Server(string variant)
{
    WebApplication app = WebApp(builder => builder.Services.AddDurableTasks(d =>
    {
        d.UseSqlite("Data Source=" + Path.Combine(directory, "server.db"));
        d.AddHandler<int>("noop", (_, _, _) => Task.CompletedTask);
    }));
    if (variant == "durable")
    {
        app.MapPost("/work", async (BackgroundTasks tasks) => await tasks.AddDurableTaskAsync("noop", 1));
    }
    else
    {
        app.MapPost("/work", (BackgroundTasks tasks) =>
        {
            tasks.AddTask(static () => { });
            return "ok";
        });
    }

    await app.StartAsync();
    Console.WriteLine("listening " + app.Urls.First());
    await app.WaitForShutdownAsync();
}

// PostgreSQL: enqueue N tasks from an enqueue-only host, then let W worker processes (this program in pg-worker mode)
// run them; tasks/s = N / the time from the first start to the last success, as the workers stored them. Warm: each
// worker process first runs its own warm-up tasks in another schema (so that the measured tasks run on jitted, tiered
// code, as in a long-running service) and waits until every worker is warm.
async Task PostgresThroughput(int total, int workers, string connectionString, int warm)
{
    string schema = "bench_" + Guid.NewGuid().ToString("N")[..12];
    using IHost enqueuer = await PostgresHost(connectionString, schema, 0, null);
    IDurableTasks tasks = enqueuer.Services.GetRequiredService<IDurableTasks>();
    var latencies = new double[total];
    var enqueueClock = Stopwatch.StartNew();
    await Parallel.ForAsync(0, total, new ParallelOptions { MaxDegreeOfParallelism = Producers }, async (i, _) =>
    {
        long start = Stopwatch.GetTimestamp();
        await tasks.EnqueueAsync("noop", 0L);
        latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    });
    double enqueueRate = total / enqueueClock.Elapsed.TotalSeconds;
    Array.Sort(latencies);

    var clock = Stopwatch.StartNew();
    using IHost? local = workers == 0 ? await PostgresHost(connectionString, schema, 8, null) : null;
    int warmBatches = 0;
    Task<string?>[] firstRuns = [];
    Process[] children = [.. Enumerable.Range(0, workers).Select(_ => Child("pg-worker", connectionString, schema, warm.ToString()))];
    try
    {
        warmBatches = await Go(children);
        firstRuns = [.. children.Select(static c => c.StandardOutput.ReadLineAsync())];
        while (await Unfinished(connectionString, schema))
        {
            await Task.Delay(100); // the time measured is the workers' own (stored) one; an index probe every 100 ms costs them nothing
        }

        if (await Succeeded(connectionString, schema) != total)
        {
            throw new InvalidOperationException("not every task succeeded");
        }
    }
    finally
    {
        foreach (Process child in children)
        {
            child.Kill();
            await child.WaitForExitAsync();
        }
    }

    string how = warm > 0 ? $"warm (up to {warmBatches} × {warm} tasks each first)" : "cold (just started)";
    // From the first handler's start in any worker process (or, with none, the first claim) to the last success stored.
    long? first = workers == 0 ? null : (await Task.WhenAll(firstRuns)).Select(static l => long.Parse(l!["first ".Length..])).Min();
    double seconds = await RunSeconds(connectionString, schema, first);
    if (Environment.GetEnvironmentVariable("BENCH_KEEP") is null)
    {
        await DropSchema(connectionString, schema);
    }
    else
    {
        Console.WriteLine("kept schema " + schema);
    }

    Console.WriteLine($"afterward postgres: {total} tasks, {workers} worker process(es), {how}: {total / seconds:F0} tasks/s " +
        $"(first start → last success; {total / clock.Elapsed.TotalSeconds:F0}/s with the workers' start); enqueue {enqueueRate:F0}/s, p50 {latencies[total / 2]:F3} ms, p99 {latencies[(int)(total * 0.99)]:F3} ms");
}

async Task PostgresWorker(string connectionString, string schema, int warm, string? latencyLog)
{
    int concurrency = Math.Max(8, 2 * Environment.ProcessorCount);
    int batches = 0;
    if (warm > 0)
    {
        // Batches of warm-up tasks until one batch compiles (almost) no method: tiered compilation promotes hot methods
        // late and in the background (after 30 calls, a tier-0 quiet period, then again through the instrumented tier),
        // so "warm" means that it has settled under this load, as in a service that has run for a while.
        string warmSchema = schema + "_warm_" + Environment.ProcessId;
        using (IHost warmHost = await PostgresHost(connectionString, warmSchema, concurrency, null))
        {
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            for (batches = 1; batches <= 20; batches++)
            {
                long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
                // The rows AddDurableTaskAsync would store, inserted at once; the host is woken by the notification.
                await using (var insert = new Npgsql.NpgsqlCommand($"""
                    INSERT INTO {warmSchema}.tasks (id, name, payload, state, attempts, max_attempts, run_at, enqueued_at, held, delay_ms)
                    SELECT md5('{batches}.' || i), 'noop', '0', 0, 0, 5, 0, 0, false, 0 FROM generate_series(1, {warm}) AS i;
                    SELECT pg_notify('afterward_{warmSchema}', '');
                    """, connection))
                {
                    await insert.ExecuteNonQueryAsync();
                }

                while (await Succeeded(connectionString, warmSchema) < (long)batches * warm)
                {
                    await Task.Delay(100);
                }

                if (System.Runtime.JitInfo.GetCompiledMethodCount() - compiled <= 2)
                {
                    break;
                }
            }

            await warmHost.StopAsync();
            await DropSchema(connectionString, warmSchema);
        }
    }

    Console.WriteLine($"warm {Math.Min(batches, 20)}");
    Console.Out.Flush();
    _ = Console.ReadLine(); // "go": every worker is warm

    using IHost host = await PostgresHost(connectionString, schema, concurrency, latencyLog, reportFirstRun: true);
    await host.WaitForShutdownAsync();
}

// Enqueue → start on the other instance: an idle worker process; this process enqueues one task at a time (its payload
// is the enqueue time) and the worker writes how long after that it started.
async Task PostgresLatency(int samples, string connectionString)
{
    string schema = "bench_" + Guid.NewGuid().ToString("N")[..12];
    string log = Path.Combine(directory, "latency.log");
    using IHost enqueuer = await PostgresHost(connectionString, schema, 0, null);
    IDurableTasks tasks = enqueuer.Services.GetRequiredService<IDurableTasks>();
    Process worker = Child("pg-worker", connectionString, schema, "0", log);
    try
    {
        await Go([worker]);
        await Task.Delay(3000); // the worker process starts and LISTENs; idle from then on
        for (int i = 0; i < samples; i++)
        {
            await tasks.EnqueueAsync("noop", DateTime.UtcNow.Ticks);
            await Task.Delay(20);
        }

        while (await Succeeded(connectionString, schema) < samples)
        {
            await Task.Delay(20);
        }
    }
    finally
    {
        worker.Kill();
        await worker.WaitForExitAsync();
    }

    double[] gaps = [.. File.ReadAllLines(log).Where(l => l.Length > 0).Select(l => double.Parse(l, System.Globalization.CultureInfo.InvariantCulture)).Order()];
    Console.WriteLine($"afterward postgres enqueue → start on another instance (idle, poll 1 s, LISTEN/NOTIFY): p50 {gaps[gaps.Length / 2]:F3} ms, p99 {gaps[(int)(gaps.Length * 0.99)]:F3} ms over {gaps.Length}");
}

async Task HangfirePostgres(int total, string connectionString)
{
    HangfireJob.Reset(total);
    string schema = "hangfire_" + Guid.NewGuid().ToString("N")[..12];
    GlobalConfiguration.Configuration
        .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
        .UseSimpleAssemblyNameTypeSerializer()
        .UseRecommendedSerializerSettings()
        .UsePostgreSqlStorage(o => o.UseNpgsqlConnection(connectionString), new Hangfire.PostgreSql.PostgreSqlStorageOptions { SchemaName = schema, QueuePollInterval = TimeSpan.FromMilliseconds(50) });
    using var server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = Math.Max(8, 2 * Environment.ProcessorCount) });
    var clock = Stopwatch.StartNew();
    await Parallel.ForAsync(0, total, new ParallelOptions { MaxDegreeOfParallelism = Producers }, (i, _) =>
    {
        BackgroundJob.Enqueue(() => HangfireJob.Run(i));
        return ValueTask.CompletedTask;
    });
    await HangfireJob.All.WaitAsync(TimeSpan.FromMinutes(10));
    Console.WriteLine($"hangfire postgres: {total} jobs, one server process; enqueued+completed {total / clock.Elapsed.TotalSeconds:F0}/s");
}

// reportFirstRun: the worker process writes "first <unix ms>" when its first handler runs, the start the parent measures
// from (as graphile-worker's benchmark does from its first job's start, after its first claim has returned).
async Task<IHost> PostgresHost(string connectionString, string schema, int concurrency, string? latencyLog, bool reportFirstRun = false)
{
    int firstRun = reportFirstRun ? 0 : 1;
    HostApplicationBuilder builder = Host.CreateApplicationBuilder();
    if (Environment.GetEnvironmentVariable("BENCH_LOG") is null) { builder.Logging.ClearProviders(); }
    builder.Services.AddAfterward(o => o.AppName = "bench");
    builder.Services.AddDurableTasks(d =>
    {
        d.UsePostgres(connectionString, schema);
        d.Options.MaxConcurrency = concurrency;
        d.AddHandler<long>("noop", (enqueuedTicks, _, _) =>
        {
            if (Volatile.Read(ref firstRun) == 0 && Interlocked.Exchange(ref firstRun, 1) == 0)
            {
                Console.WriteLine("first " + DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                Console.Out.Flush();
            }

            if (latencyLog is not null)
            {
                double ms = (DateTime.UtcNow.Ticks - enqueuedTicks) / (double)TimeSpan.TicksPerMillisecond;
                lock (directory)
                {
                    File.AppendAllText(latencyLog, ms.ToString("F3", System.Globalization.CultureInfo.InvariantCulture) + "\n");
                }
            }

            return Task.CompletedTask;
        });
    });
    IHost host = builder.Build();
    await host.StartAsync();
    await host.Services.GetRequiredService<IDurableTasks>().GetAsync("warm-up");
    return host;
}

// The workers' time: the first handler's start (or the first claim) to the last success, as the workers stored it.
static async Task<double> RunSeconds(string connectionString, string schema, long? firstRun)
{
    await using var connection = new Npgsql.NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new Npgsql.NpgsqlCommand($"SELECT max(completed_at) - coalesce($1, min(started_at)) FROM {schema}.tasks", connection);
    command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = (object?)firstRun ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
    return (long)(await command.ExecuteScalarAsync())! / 1000.0;
}

static async Task DropSchema(string connectionString, string schema)
{
    await using var connection = new Npgsql.NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new Npgsql.NpgsqlCommand($"DROP SCHEMA {schema} CASCADE", connection);
    await command.ExecuteNonQueryAsync();
}

// Whether any task still waits or runs: two probes of the partial indexes, where counting the succeeded rows would scan
// the whole table on the server the workers use, ten times a second (a seventh of its time in a 100,000-task round).
static async Task<bool> Unfinished(string connectionString, string schema)
{
    await using var connection = new Npgsql.NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new Npgsql.NpgsqlCommand($"""
        SET enable_seqscan = off;
        SELECT EXISTS (SELECT 1 FROM {schema}.tasks WHERE state = 0) OR EXISTS (SELECT 1 FROM {schema}.tasks WHERE state = 1);
        """, connection);
    return (bool)(await command.ExecuteScalarAsync())!;
}

static async Task<long> Succeeded(string connectionString, string schema)
{
    await using var connection = new Npgsql.NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new Npgsql.NpgsqlCommand($"SELECT count(*) FROM {schema}.tasks WHERE state = 2", connection);
    return (long)(await command.ExecuteScalarAsync())!;
}

// Waits until every pg-worker process is warm (and its host about to start), then lets them all start; returns the
// most warm-up batches a worker needed.
static async Task<int> Go(Process[] workers)
{
    int batches = 0;
    foreach (Process worker in workers)
    {
        if (await worker.StandardOutput.ReadLineAsync() is not { } line || !line.StartsWith("warm ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("a worker process failed to warm up");
        }

        batches = Math.Max(batches, int.Parse(line["warm ".Length..]));
    }

    foreach (Process worker in workers)
    {
        await worker.StandardInput.WriteLineAsync("go");
        await worker.StandardInput.FlushAsync();
    }

    return batches;
}

static Process Child(params string[] arguments)
{
    var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
    start.ArgumentList.Add(typeof(HangfireJob).Assembly.Location);
    foreach (string argument in arguments)
    {
        start.ArgumentList.Add(argument);
    }

    return Process.Start(start)!;
}

WebApplication WebApp(Action<WebApplicationBuilder> configure)
{
    WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
    builder.WebHost.UseUrls(Environment.GetEnvironmentVariable("BENCH_URLS") ?? "http://127.0.0.1:0");
    builder.Logging.ClearProviders();
    builder.Services.AddAfterward(o => o.AppName = "bench");
    configure(builder);
    WebApplication app = builder.Build();
    app.UseAfterward();
    return app;
}

/// <summary>Hangfire's job: a static method it finds by name, counting runs.</summary>
public static class HangfireJob
{
    private static int _done;
    private static int _total;
    private static TaskCompletionSource _all = new();

    public static Task All => _all.Task;

    public static void Reset(int total)
    {
        _total = total;
        _done = 0;
        _all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public static void Run(int n)
    {
        GC.KeepAlive(n);
        if (Interlocked.Increment(ref _done) == _total)
        {
            _all.TrySetResult();
        }
    }
}
