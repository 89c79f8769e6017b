// Durable tasks side by side with Hangfire on SQLite, on the same disk and the same trivial job.
//   dotnet run -c Release --project benchmarks/Afterward.DurableBench -- afterward <tasks>     tasks/s enqueued and completed, enqueue latency
//   dotnet run -c Release --project benchmarks/Afterward.DurableBench -- hangfire <tasks>      the same with Hangfire.Core + Hangfire.Storage.SQLite
//   dotnet run -c Release --project benchmarks/Afterward.DurableBench -- start-latency <n>     response → handler start, idle server, sequential requests
//   dotnet run -c Release --project benchmarks/Afterward.DurableBench -- server durable|memory serves POST /work for an external load generator (wrk)
using System.Diagnostics;
using Afterward;
using Hangfire;
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
