// One server process per variant, for benchmarks/http-overhead.sh: the load comes from wrk in another process, so the
// server's own cost is not hidden by a generator sharing its cores.
//   Afterward.HttpBench <variant> <url> [otlp receiver url]
//   Afterward.HttpBench receiver <url>           an OTLP/HTTP receiver that accepts and drops everything
// Every variant serves GET /plain ("ok"); the task variants serve GET /task, which schedules one no-op task.
// Diagnostics: GET /jit (methods compiled so far), GET /allocated (bytes so far), GET /gcs (collections and pause); HTTPBENCH_ALLOCATIONS=1 adds
// GET /allocations (sampled bytes by type) and GET /exceptions (first-chance exceptions); HTTPBENCH_NO_MIDDLEWARE=1
// registers Afterward without UseAfterward(), to tell the middleware's cost from the services'.
using System.Diagnostics;
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
bool afterward = variant is "afterward" or "dashboard" or "afterward-otlp" or "task-afterward" or "task-afterward-singleton" or "task-oncompleted" or "task-oncompleted-recorded" or "task-oncompleted-services" or "task-taskrun";
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
if (afterward && Environment.GetEnvironmentVariable("HTTPBENCH_NO_MIDDLEWARE") != "1")
{
    app.UseAfterward();
}

if (variant == "dashboard")
{
    app.MapAfterwardDashboard();
}

if (variant == "receiver")
{
    // Each server exports under its own prefix (/{sender}/v1/...): the receiver counts the spans each one delivered,
    // so that a variant whose exporter drops spans under load does not pass for a cheaper one.
    var spans = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
    app.MapPost("/{sender}/v1/traces", async (string sender, HttpRequest request) =>
    {
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        long delivered = OtlpSpans.Count(body.GetBuffer().AsSpan(0, (int)body.Length));
        spans.AddOrUpdate(sender, delivered, (_, total) => total + delivered);
        return Results.Bytes([], "application/x-protobuf");
    });
    app.MapPost("/{sender}/v1/metrics", () => Results.Bytes([], "application/x-protobuf"));
    app.MapGet("/spans/{sender}", (string sender) => spans.GetValueOrDefault(sender).ToString(System.Globalization.CultureInfo.InvariantCulture));
}

AllocationSampler? sampler = Environment.GetEnvironmentVariable("HTTPBENCH_ALLOCATIONS") == "1" ? new AllocationSampler() : null;
if (sampler is not null)
{
    app.MapGet("/allocations", () => sampler.Report());
    var exceptions = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
    AppDomain.CurrentDomain.FirstChanceException += (_, e) => exceptions.AddOrUpdate(e.Exception.GetType().Name + ": " + e.Exception.Message, 1, (_, n) => n + 1);
    app.MapGet("/exceptions", () => string.Join('\n', exceptions.Select(p => $"{p.Value} {p.Key}")));
}

app.MapGet("/plain", () => "ok");
app.MapGet("/jit", () => System.Runtime.JitInfo.GetCompiledMethodCount().ToString(System.Globalization.CultureInfo.InvariantCulture)); // settles when tiering is done
app.MapGet("/gcs", () => $"{GC.CollectionCount(0)} {GC.CollectionCount(1)} {GC.CollectionCount(2)} server={System.Runtime.GCSettings.IsServerGC} pause={GC.GetTotalPauseDuration().TotalMilliseconds:F0}ms");
app.MapGet("/allocated", () => GC.GetTotalAllocatedBytes(precise: true).ToString(System.Globalization.CultureInfo.InvariantCulture)); // bytes so far, for B/request
// The peers also serve GET /timed (one task that records its schedule → start latency), GET /burst?n= (n tasks
// scheduled in a loop inside the server: the in-process enqueue rate) and GET /drained (waits until every timed or
// burst task has started, then reports latencies and rates; see Probe).
switch (variant)
{
    case "task-afterward":
        Probe.Map<BackgroundTasks>(app, static tasks =>
        {
            tasks.AddTask(Probe.Run, Stopwatch.GetTimestamp());
            return ValueTask.CompletedTask;
        });
        break;
    case "channel":
        Probe.Map<Channel<Func<CancellationToken, ValueTask>>>(app, static queue =>
        {
            long at = Stopwatch.GetTimestamp();
            return queue.Writer.WriteAsync(_ => { Probe.Run(at); return ValueTask.CompletedTask; });
        });
        break;
    case "coravel":
        Probe.Map<IQueue>(app, static queue =>
        {
            long at = Stopwatch.GetTimestamp();
            queue.QueueTask(() => Probe.Run(at));
            return ValueTask.CompletedTask;
        });
        break;
    case "hangfire":
        Probe.Map<IBackgroundJobClient>(app, static jobs =>
        {
            long at = Stopwatch.GetTimestamp();
            jobs.Enqueue(() => Probe.Run(at));
            return ValueTask.CompletedTask;
        });
        break;
    default:
        break;
}

app.MapGet("/drained", Probe.DrainedAsync);
switch (variant)
{
    case "task-afterward":
        app.MapGet("/task", (BackgroundTasks tasks) =>
        {
            tasks.AddTask(static () => { });
            return "ok";
        });
        break;
    case "task-afterward-singleton":
    {
        // BackgroundTasks is a stateless singleton: taken once from the root services, a handler that needs no other
        // service adds its task without the request scope that a service parameter makes.
        BackgroundTasks tasks = app.Services.GetRequiredService<BackgroundTasks>();
        app.MapGet("/task", () =>
        {
            tasks.AddTask(static () => { });
            return "ok";
        });
        break;
    }

    case "task-oncompleted":
        app.MapGet("/task", (HttpContext context) =>
        {
            context.Response.OnCompleted(static () => Task.CompletedTask);
            return "ok";
        });
        break;
    case "task-oncompleted-recorded":
    {
        // As task-oncompleted, with the callback recorded as a background transaction, as a task is: the same
        // monitoring without the hand-off to a worker.
        Application application = app.Services.GetRequiredService<Application>();
        app.MapGet("/task", (HttpContext context) =>
        {
            context.Response.OnCompleted(static state =>
            {
                using TransactionScope scope = Agent.BackgroundTask((Application)state, "noop", "Task");
                return Task.CompletedTask;
            }, application);
            return "ok";
        });
        break;
    }
    case "task-oncompleted-services":
        // As task-oncompleted, but taking a service parameter as task-afterward does, which makes the request's DI
        // scope: that share of task-afterward's cost is ASP.NET Core's, not the task's.
        app.MapGet("/task", (HttpContext context, BackgroundTasks unused) =>
        {
            _ = unused;
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

/// <summary>Counts the spans in an OTLP ExportTraceServiceRequest (resource_spans = 1 → scope_spans = 2 → spans = 2).</summary>
internal static class OtlpSpans
{
    public static long Count(ReadOnlySpan<byte> request)
    {
        long count = 0;
        foreach (byte[] resource in Fields(request, 1))
        {
            foreach (byte[] scope in Fields(resource, 2))
            {
                foreach (byte[] _ in Fields(scope, 2))
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>The length-delimited fields numbered <paramref name="number"/> of one message (others skipped).</summary>
    private static List<byte[]> Fields(ReadOnlySpan<byte> message, int number)
    {
        var found = new List<byte[]>();
        int at = 0;
        while (at < message.Length)
        {
            ulong key = Varint(message, ref at);
            switch ((int)(key & 7))
            {
                case 0: Varint(message, ref at); break;
                case 1: at += 8; break;
                case 5: at += 4; break;
                case 2:
                    int length = (int)Varint(message, ref at);
                    if ((int)(key >> 3) == number)
                    {
                        found.Add(message.Slice(at, length).ToArray());
                    }

                    at += length;
                    break;
                default: throw new InvalidDataException("unexpected wire type " + (key & 7));
            }
        }

        return found;
    }

    private static ulong Varint(ReadOnlySpan<byte> data, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
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

/// <summary>
/// Schedule → start latencies (every task records its own, from a timestamp taken when it was scheduled) and the
/// in-process burst's rates. A task's Stopwatch timestamp travels as its argument, so Hangfire serializes a long.
/// </summary>
public static class Probe
{
    private const int Capacity = 1 << 21;
    private static readonly long[] Latencies = new long[Capacity];
    private static long _scheduled;
    private static long _started;
    private static long _burstStart;
    private static long _firstScheduled;
    private static long _lastStart;

    public static void Scheduled()
    {
        if (Interlocked.Increment(ref _scheduled) == 1)
        {
            Volatile.Write(ref _firstScheduled, Stopwatch.GetTimestamp());
        }
    }

    public static void Run(long scheduledAt)
    {
        long now = Stopwatch.GetTimestamp();
        long index = Interlocked.Increment(ref _started) - 1;
        if (index < Capacity)
        {
            Latencies[index] = now - scheduledAt;
        }

        Volatile.Write(ref _lastStart, now);
    }

    /// <summary>Maps a peer's GET /timed (one task) and GET /burst?n= (n tasks) onto its way of scheduling one task.</summary>
    public static void Map<TService>(WebApplication app, Func<TService, ValueTask> schedule)
        where TService : notnull
    {
        // The service comes from the request's services, as a handler parameter would (a generic parameter would trip
        // ASP.NET Core's route analyzer).
        app.MapGet("/timed", async (HttpContext context) =>
        {
            Scheduled();
            await schedule(context.RequestServices.GetRequiredService<TService>());
            return "ok";
        });
        app.MapGet("/burst", (HttpContext context, int n) =>
        {
            TService service = context.RequestServices.GetRequiredService<TService>();
            return Burst(n, () => schedule(service));
        });
    }

    /// <summary>Schedules n tasks in a loop; returns tasks scheduled per second.</summary>
    private static string Burst(int n, Func<ValueTask> schedule)
    {
        Interlocked.Add(ref _scheduled, n);
        _burstStart = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            ValueTask scheduled = schedule();
            if (!scheduled.IsCompletedSuccessfully)
            {
                scheduled.AsTask().GetAwaiter().GetResult(); // only a full bounded queue makes this wait
            }
        }

        double seconds = Stopwatch.GetElapsedTime(_burstStart).TotalSeconds;
        return (n / seconds).ToString("F0", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Waits (≤ 120 s) until every scheduled task started; "count p50_µs p99_µs started_per_s not_started", then
    /// resets. Started per second: from the burst's start, or else from the first task scheduled, to the last start.
    /// </summary>
    public static async Task<string> DrainedAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (Interlocked.Read(ref _started) < Interlocked.Read(ref _scheduled) && deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            await Task.Delay(10);
        }

        int count = (int)Math.Min(Interlocked.Read(ref _started), Capacity);
        long[] sorted = Latencies[..count];
        Array.Sort(sorted);
        double Micros(double q) => count == 0 ? double.NaN : sorted[Math.Min(count - 1, (int)(q * count))] * 1e6 / Stopwatch.Frequency;
        long from = _burstStart != 0 ? _burstStart : Volatile.Read(ref _firstScheduled);
        double rate = from == 0 ? double.NaN : count / ((Volatile.Read(ref _lastStart) - from) / (double)Stopwatch.Frequency);
        string report = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{count} {Micros(0.5):F0} {Micros(0.99):F0} {rate:F0} {Interlocked.Read(ref _scheduled) - count}");
        _scheduled = 0;
        _started = 0;
        _burstStart = 0;
        _firstScheduled = 0;
        return report;
    }
}
