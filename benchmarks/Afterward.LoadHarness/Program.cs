// Load harness: each comparison runs in this one process, on loopback, back to back, and is reported as a ratio.
// Usage: dotnet run -c Release --project benchmarks/Afterward.LoadHarness -- [seconds-per-scenario]
//        dotnet run -c Release --project benchmarks/Afterward.LoadHarness -- export [seconds-per-scenario]
//        dotnet run -c Release --project benchmarks/Afterward.LoadHarness -- soak [seconds]
// Results are written under benchmarks/results/ of the repository (found from the current directory).
using System.Diagnostics;
using System.Globalization;
using Afterward;
using Afterward.Soak;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

string mode = args.Length > 0 && args[0] is "export" or "soak" ? args[0] : "all";
string[] numbers = mode == "all" ? args : args[1..];
int seconds = numbers.Length > 0 ? int.Parse(numbers[0], CultureInfo.InvariantCulture) : 10;
TimeSpan duration = TimeSpan.FromSeconds(seconds);
const int Connections = 32;
string results = ResultsDirectory();
var report = new List<string>
{
    $"# Load harness, {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {seconds} s per scenario, {Connections} connections",
    "",
};

if (mode == "export")
{
    await ExportComparison();
    return;
}

if (mode == "soak")
{
    await Soak();
    return;
}

// 1. hello world: bare vs UseAfterward
// ABBA order, averaged, so that warm-up and drift do not favour either side.
double bare1 = await Throughput("bare", monitored: false, app => app.MapGet("/", () => "hello"));
double monitored1 = await Throughput("UseAfterward", monitored: true, app => app.MapGet("/", () => "hello"));
double monitored2 = await Throughput("UseAfterward", monitored: true, app => app.MapGet("/", () => "hello"));
double bare2 = await Throughput("bare", monitored: false, app => app.MapGet("/", () => "hello"));
double bare = (bare1 + bare2) / 2, monitored = (monitored1 + monitored2) / 2;
report.Add("## Hello world, requests/s (ABBA, mean of two runs each)");
report.Add("| scenario | value | ratio |");
report.Add("|---|---|---|");
report.Add($"| bare ASP.NET Core | {bare:F0} | 1.00 |");
report.Add($"| with UseAfterward() | {monitored:F0} | {monitored / bare:F3} (target ≥ 0.97) |");

// 2. scheduling a no-op task three ways
double viaTasks = await Throughput("AddTask", true, app => app.MapGet("/", (BackgroundTasks t) => { t.AddTask(static () => { }); return "ok"; }));
double viaOnCompleted = await Throughput("OnCompleted", true, app => app.MapGet("/", (HttpContext c) => { c.Response.OnCompleted(static () => Task.CompletedTask); return "ok"; }));
double viaTaskRun = await Throughput("Task.Run", true, app => app.MapGet("/", () => { _ = Task.Run(static () => { }); return "ok"; }));
report.Add("");
report.Add("## An endpoint scheduling a no-op task, requests/s (ratio to Response.OnCompleted)");
report.Add("| scenario | value | ratio or target |");
report.Add("|---|---|---|");
report.Add($"| BackgroundTasks.AddTask | {viaTasks:F0} | {viaTasks / viaOnCompleted:F3} |");
report.Add($"| Response.OnCompleted | {viaOnCompleted:F0} | 1.00 |");
report.Add($"| Task.Run | {viaTaskRun:F0} | {viaTaskRun / viaOnCompleted:F3} |");

// 3. trivial tasks completed per second: 100 tasks per request, counted by the runner
double tasksPerSecond = await TasksPerSecond();
report.Add("");
report.Add("## Trivial background tasks completed per second (monitoring on, 100 tasks per request)");
report.Add("| scenario | value | ratio or target |");
report.Add("|---|---|---|");
report.Add($"| tasks/s | {tasksPerSecond:F0} | target ≥ 300000 |");

// 4. response-to-task-start latency on an idle server
(double p50, double p99) = await StartLatency();
report.Add("");
report.Add("## Response-to-task-start latency, idle server (sequential requests)");
report.Add("| scenario | value | ratio or target |");
report.Add("|---|---|---|");
report.Add($"| p50 | {p50:F1} µs | target ≤ 50 µs |");
report.Add($"| p99 | {p99:F1} µs | target ≤ 1000 µs |");

// 5. p99 response latency when every request schedules a 2 s task
double p99None = await P99("no task", app => app.MapGet("/", () => "ok"));
double p99Long = await P99("2 s task", app => app.MapGet("/", (BackgroundTasks t) => { t.AddTask(static ct => Task.Delay(2000, ct)); return "ok"; }), maxConcurrency: 1024, capacity: 1_000_000);
report.Add("");
report.Add("## p99 response latency, every request schedules a 2 s task vs none");
report.Add("| scenario | value | ratio or target |");
report.Add("|---|---|---|");
report.Add($"| no task | {p99None:F0} µs | 1.00 |");
report.Add($"| 2 s task | {p99Long:F0} µs | {p99Long / p99None:F3} (target ≤ 1.10) |");

string text = string.Join(Environment.NewLine, report);
Console.WriteLine(text);
await File.WriteAllTextAsync(Path.Combine(results, "load-harness.md"), text + Environment.NewLine);
return;

static string ResultsDirectory()
{
    for (var directory = new DirectoryInfo(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Afterward.slnx")))
        {
            return Directory.CreateDirectory(Path.Combine(directory.FullName, "benchmarks", "results")).FullName;
        }
    }

    throw new InvalidOperationException("Run the harness from inside the repository (Afterward.slnx not found above the current directory).");
}

// About two minutes at the highest rate loopback sustains, every request scheduling 1–3 tasks.
async Task Soak()
{
    SoakResult r = await SoakRun.RunAsync(duration, Connections, Console.WriteLine);
    var lines = new List<string>
    {
        $"# Soak, {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {duration.TotalSeconds:F0} s, {r.Connections} connections (closed loop: the highest rate the server sustains)",
        "",
        "Every request schedules 1–3 small tasks. Tasks scheduled are counted by the client from successful responses",
        "(including a 1 s warm-up); completed by the runner, after the drain of a graceful stop.",
        "",
        "| figure | value |",
        "|---|---|",
        $"| requests | {r.Requests} ({r.RequestsPerSecond:F0}/s) |",
        $"| errors | {r.Errors} |",
        $"| tasks scheduled | {r.TasksScheduled} |",
        $"| tasks completed | {r.TasksCompleted} |",
        $"| tasks failed / abandoned | {r.TasksFailed} / {r.TasksAbandoned} |",
        $"| scheduled − completed | {r.TasksScheduled - r.TasksCompleted} |",
        $"| latency p50 / p99 | {r.P50Microseconds:F0} µs / {r.P99Microseconds:F0} µs |",
        "",
        "| memory (after a full compacting GC) | at | working set | GC heap |",
        "|---|---|---|---|",
    };
    lines.AddRange(r.Memory.Select(m => $"| {m.When} | {m.At.TotalSeconds:F0} s | {m.WorkingSetBytes / 1048576.0:F1} MiB | {m.GcHeapBytes / 1048576.0:F1} MiB |"));
    string text = string.Join(Environment.NewLine, lines);
    Console.WriteLine(text);
    await File.WriteAllTextAsync(Path.Combine(results, "soak.md"), text + Environment.NewLine);
}

// Requests/s with OTLP export on vs off, same process, ABBA, against an in-process collector that accepts everything.
async Task ExportComparison()
{
    await using WebApplication collector = await Collector();
    Uri endpoint = Address(collector);
    var rows = new List<string>();
    foreach ((string label, Action<WebApplication> map) in new (string, Action<WebApplication>)[]
    {
        ("hello world (1 span per request)", app => app.MapGet("/", () => "hello")),
        ("AddTask no-op (2 spans per request)", app => app.MapGet("/", (BackgroundTasks t) => { t.AddTask(static () => { }); return "ok"; })),
    })
    {
        (double off1, _) = await ExportRun("off", null, map);
        (double on1, OtlpStatusFigures f1) = await ExportRun("on", endpoint, map);
        (double on2, OtlpStatusFigures f2) = await ExportRun("on", endpoint, map);
        (double off2, _) = await ExportRun("off", null, map);
        double off = (off1 + off2) / 2, on = (on1 + on2) / 2;
        rows.Add($"| {label} | {off:F0} | {on:F0} | {on / off:F3} | {f1.Exported + f2.Exported} | {f1.Dropped + f2.Dropped} |");
    }

    report.Add("## Requests/s with OTLP export (http/protobuf to a collector on loopback) vs without, ABBA, mean of two runs each");
    report.Add("| scenario | export off | export on | ratio | spans exported | spans dropped |");
    report.Add("|---|---|---|---|---|---|");
    report.AddRange(rows);
    report.Add("");
    report.Add("The collector runs in the same process and shares the 2 cores: the ratio includes its work of receiving the spans.");
    string text = string.Join(Environment.NewLine, report);
    Console.WriteLine(text);
    await File.WriteAllTextAsync(Path.Combine(results, "otlp-export.md"), text + Environment.NewLine);
}

async Task<(double RequestsPerSecond, OtlpStatusFigures Figures)> ExportRun(string name, Uri? endpoint, Action<WebApplication> map)
{
    await using WebApplication app = await Start(true, map, configure: o => o.Otlp.Endpoint = endpoint);
    (long count, _) = await Drive(Address(app), duration, Connections, false);
    OtlpExportStatus status = app.Services.GetRequiredService<Application>().Export;
    await app.StopAsync();
    double perSecond = count / duration.TotalSeconds;
    Console.WriteLine($"export {name}: {perSecond:F0} req/s, {status.SpansExported} spans exported, {status.SpansDropped} dropped");
    return (perSecond, new OtlpStatusFigures(status.SpansExported, status.SpansDropped));
}

async Task<WebApplication> Collector()
{
    WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
    builder.WebHost.UseUrls("http://127.0.0.1:0");
    builder.Logging.ClearProviders();
    WebApplication app = builder.Build();
    RequestDelegate accept = async context =>
    {
        await context.Request.Body.CopyToAsync(Stream.Null);
        context.Response.ContentType = "application/x-protobuf";
    };
    app.MapPost("/v1/traces", accept);
    app.MapPost("/v1/metrics", accept);
    await app.StartAsync();
    return app;
}

async Task<WebApplication> Start(bool monitor, Action<WebApplication> map, int maxConcurrency = 16, int capacity = 100_000, Action<AfterwardOptions>? configure = null)
{
    WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
    builder.WebHost.UseUrls("http://127.0.0.1:0");
    builder.Logging.ClearProviders();
    builder.Services.AddAfterward(o =>
    {
        o.AppName = "load-" + Guid.NewGuid().ToString("N");
        o.BackgroundTasks.MaxConcurrency = maxConcurrency;
        o.BackgroundTasks.QueueCapacity = capacity;
        configure?.Invoke(o);
    });
    WebApplication app = builder.Build();
    if (monitor)
    {
        app.UseAfterward();
    }

    map(app);
    await app.StartAsync();
    return app;
}

Uri Address(WebApplication app) => new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

async Task<(long Count, List<long> Latencies)> Drive(Uri address, TimeSpan length, int connections, bool recordLatency)
{
    using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections };
    using var client = new HttpClient(handler) { BaseAddress = address };
    long count = 0;
    var latencies = new List<long>();
    using var warm = new CancellationTokenSource(TimeSpan.FromSeconds(1));
    await Loop(warm.Token, false);
    count = 0;
    latencies.Clear();
    using var stop = new CancellationTokenSource(length);
    await Loop(stop.Token, recordLatency);
    return (count, latencies);

    Task Loop(CancellationToken token, bool record) => Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
    {
        var local = new List<long>();
        while (!token.IsCancellationRequested)
        {
            long start = Stopwatch.GetTimestamp();
            using HttpResponseMessage response = await client.GetAsync("/");
            await response.Content.ReadAsByteArrayAsync();
            Interlocked.Increment(ref count);
            if (record)
            {
                local.Add(Stopwatch.GetTimestamp() - start);
            }
        }

        lock (latencies)
        {
            latencies.AddRange(local);
        }
    })));
}

async Task<double> Throughput(string name, bool monitored, Action<WebApplication> map)
{
    await using WebApplication app = await Start(monitored, map);
    (long count, _) = await Drive(Address(app), duration, Connections, false);
    Console.WriteLine($"{name}: {count / duration.TotalSeconds:F0} req/s");
    await app.StopAsync();
    return count / duration.TotalSeconds;
}

async Task<double> P99(string name, Action<WebApplication> map, int maxConcurrency = 16, int capacity = 100_000)
{
    await using WebApplication app = await Start(true, map, maxConcurrency, capacity);
    (_, List<long> latencies) = await Drive(Address(app), duration, 8, true);
    latencies.Sort();
    double p99 = latencies[(int)(latencies.Count * 0.99)] * 1e6 / Stopwatch.Frequency;
    Console.WriteLine($"{name}: p99 {p99:F0} µs over {latencies.Count} requests");
    using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(1));
    await app.StopAsync(cancel.Token);
    return p99;
}

async Task<double> TasksPerSecond()
{
    long completedAtStart = 0;
    Application? application = null;
    await using WebApplication app = await Start(true, a => a.MapGet("/", (BackgroundTasks t) =>
    {
        for (int i = 0; i < 100; i++)
        {
            t.AddTask(static () => { });
        }

        return "ok";
    }), maxConcurrency: 16, capacity: 1000);
    application = app.Services.GetRequiredService<Application>();
    (long _, List<long> _) = await Drive(Address(app), TimeSpan.FromMilliseconds(1), 4, false);
    completedAtStart = application.TaskCounters.Completed;
    var watch = Stopwatch.StartNew();
    await Drive(Address(app), duration, 8, false);
    long completed = application.TaskCounters.Completed - completedAtStart;
    double perSecond = completed / watch.Elapsed.TotalSeconds;
    Console.WriteLine($"tasks: {perSecond:F0}/s");
    await app.StopAsync();
    return perSecond;
}

async Task<(double P50, double P99)> StartLatency()
{
    var samples = new List<double>();
    long responseDone = 0;
    var started = new SemaphoreSlim(0);
    // Reference point: the pipeline has returned and the response is written (measured outside UseAfterward).
    var app2 = await Start(false, a =>
    {
        a.Use(async (context, next) =>
        {
            await next(context);
            Interlocked.Exchange(ref responseDone, Stopwatch.GetTimestamp());
        });
        a.UseAfterward();
        a.MapGet("/", (BackgroundTasks t) =>
        {
            t.AddTask(() =>
            {
                long now = Stopwatch.GetTimestamp();
                lock (samples)
                {
                    samples.Add((now - Interlocked.Read(ref responseDone)) * 1e6 / Stopwatch.Frequency);
                }

                started.Release();
            });
            return "ok";
        });
    });
    using var client = new HttpClient { BaseAddress = Address(app2) };
    for (int i = 0; i < 2000; i++)
    {
        (await client.GetAsync("/")).Dispose();
        await started.WaitAsync(TimeSpan.FromSeconds(5));
    }

    await app2.StopAsync();
    await app2.DisposeAsync();
    double[] sorted = [.. samples.Skip(200).Order()];
    return (sorted[sorted.Length / 2], sorted[(int)(sorted.Length * 0.99)]);
}

internal readonly record struct OtlpStatusFigures(long Exported, long Dropped);
