// One server process per variant, for benchmarks/http-overhead.sh: the load comes from wrk in another process, so the
// server's own cost is not hidden by a generator sharing its cores.
//   Afterward.HttpBench <variant> <url> [otlp receiver url]
//   Afterward.HttpBench receiver <url>           an OTLP/HTTP receiver that accepts and drops everything
// Every variant serves GET /plain ("ok"); the task variants serve GET /task, which schedules one no-op task.
using System.Threading.Channels;
using Afterward;
using Coravel;
using Coravel.Queuing.Interfaces;
using Hangfire;
using Hangfire.InMemory;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

string variant = args[0];
string url = args[1];
Uri? receiver = args.Length > 2 ? new Uri(args[2]) : null;

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls(url);
bool afterward = variant is "afterward" or "dashboard" or "afterward-otlp" or "task-afterward" or "task-oncompleted" or "task-taskrun";
if (afterward)
{
    builder.Services.AddAfterward(o =>
    {
        o.AppName = "bench";
        if (variant == "afterward-otlp")
        {
            o.Otlp.Endpoint = receiver;
        }
    });
}

if (variant is "otel" or "otel-otlp")
{
    OpenTelemetry.OpenTelemetryBuilder otel = builder.Services.AddOpenTelemetry()
        .WithTracing(t => t.AddAspNetCoreInstrumentation())
        .WithMetrics(m => m.AddAspNetCoreInstrumentation());
    if (variant == "otel-otlp")
    {
        otel.WithTracing(t => t.AddOtlpExporter(o => { o.Endpoint = new Uri(receiver!, "v1/traces"); o.Protocol = OtlpExportProtocol.HttpProtobuf; }))
            .WithMetrics(m => m.AddOtlpExporter(o => { o.Endpoint = new Uri(receiver!, "v1/metrics"); o.Protocol = OtlpExportProtocol.HttpProtobuf; }));
    }
}

if (variant == "channel")
{
    builder.Services.AddSingleton(Channel.CreateBounded<Func<CancellationToken, ValueTask>>(new BoundedChannelOptions(10_000) { SingleReader = true }));
    builder.Services.AddHostedService<ChannelWorker>();
}

if (variant == "coravel")
{
    builder.Services.AddQueue();
}

if (variant == "hangfire")
{
    builder.Services.AddHangfire(c => c.UseInMemoryStorage(new InMemoryStorageOptions()));
    builder.Services.AddHangfireServer();
}

WebApplication app = builder.Build();
if (afterward)
{
    app.UseAfterward();
}

if (variant == "dashboard")
{
    app.MapAfterwardDashboard();
}

if (variant == "receiver")
{
    app.MapPost("/v1/traces", () => Results.Bytes([], "application/x-protobuf"));
    app.MapPost("/v1/metrics", () => Results.Bytes([], "application/x-protobuf"));
}

AllocationSampler? sampler = Environment.GetEnvironmentVariable("HTTPBENCH_ALLOCATIONS") == "1" ? new AllocationSampler() : null;
if (sampler is not null)
{
    app.MapGet("/allocations", () => sampler.Report());
}

app.MapGet("/plain", () => "ok");
app.MapGet("/allocated", () => GC.GetTotalAllocatedBytes(precise: true).ToString(System.Globalization.CultureInfo.InvariantCulture)); // bytes so far, for B/request
switch (variant)
{
    case "task-afterward":
        app.MapGet("/task", (BackgroundTasks tasks) =>
        {
            tasks.AddTask(static () => { });
            return "ok";
        });
        break;
    case "task-oncompleted":
        app.MapGet("/task", (HttpContext context) =>
        {
            context.Response.OnCompleted(static () => Task.CompletedTask);
            return "ok";
        });
        break;
    case "task-taskrun":
        app.MapGet("/task", () =>
        {
            _ = Task.Run(static () => { });
            return "ok";
        });
        break;
    case "channel":
        app.MapGet("/task", async (Channel<Func<CancellationToken, ValueTask>> queue) =>
        {
            await queue.Writer.WriteAsync(static _ => ValueTask.CompletedTask);
            return "ok";
        });
        break;
    case "coravel":
        app.Services.ConfigureQueue();
        app.MapGet("/task", (IQueue queue) =>
        {
            queue.QueueTask(static () => { });
            return "ok";
        });
        break;
    case "hangfire":
        app.MapGet("/task", (IBackgroundJobClient jobs) =>
        {
            jobs.Enqueue(() => NoOp.Run());
            return "ok";
        });
        break;
    default:
        break;
}

await app.RunAsync();

/// <summary>The ASP.NET Core docs' queued background service: a bounded channel read by one BackgroundService.</summary>
internal sealed class ChannelWorker(Channel<Func<CancellationToken, ValueTask>> queue) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (Func<CancellationToken, ValueTask> work in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await work(stoppingToken);
            }
            catch (Exception)
            {
                // The docs' pattern logs and goes on.
            }
        }
    }
}

public static class NoOp
{
    public static void Run()
    {
    }
}

/// <summary>
/// With <c>HTTPBENCH_ALLOCATIONS=1</c>: samples the runtime's allocation ticks (one per ~100 KB allocated) by type,
/// served as text at <c>GET /allocations</c>, to see where a variant's bytes per request go.
/// </summary>
internal sealed class AllocationSampler : System.Diagnostics.Tracing.EventListener
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _bytes = new();

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
    {
        if (e.EventName is "GCAllocationTick_V4" or "GCAllocationTick_V3" && e.Payload is { } payload)
        {
            int name = e.PayloadNames!.IndexOf("TypeName");
            int amount = e.PayloadNames.IndexOf("AllocationAmount64");
            _bytes.AddOrUpdate((string)payload[name]!, Convert.ToInt64(payload[amount], System.Globalization.CultureInfo.InvariantCulture), (_, v) => v + Convert.ToInt64(payload[amount], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    public string Report() => string.Join('\n', _bytes.OrderByDescending(p => p.Value).Take(40).Select(p => $"{p.Value,12} {p.Key}"));
}
