using System.Buffers.Binary;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Afterward.AspNetCore.Tests.Otlp;

internal sealed record ReceivedSpan(
    string Service,
    string Scope,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string Name,
    int Kind,
    int StatusCode,
    IReadOnlyDictionary<string, object?> Attributes,
    IReadOnlyList<(string TraceId, string SpanId)> Links)
{
    public const int KindInternal = 1;
    public const int KindServer = 2;
    public const int KindConsumer = 5;
    public const int StatusError = 2;

    public object? this[string attribute] => Attributes.GetValueOrDefault(attribute);

    public override string ToString() =>
        $"{Scope} kind={Kind} {Name} [{string.Join(", ", Attributes.Select(a => a.Key + "=" + a.Value))}] links={Links.Count}";
}

internal sealed record ReceivedPoint(IReadOnlyDictionary<string, object?> Attributes, double? Value, ulong? Count, double? Sum)
{
    public object? this[string attribute] => Attributes.GetValueOrDefault(attribute);
}

internal sealed record ReceivedMetric(string Service, string Name, string Unit, string Type, IReadOnlyList<ReceivedPoint> Points);

/// <summary>How the receiver answers.</summary>
public enum CollectorMode
{
    Accept,
    Unavailable503,
    BadRequest400,
    Slow,
}

/// <summary>
/// An OTLP receiver on 127.0.0.1: OTLP/HTTP (<c>/v1/traces</c>, <c>/v1/metrics</c>) and OTLP/gRPC over cleartext
/// HTTP/2 on a second port. Decodes every request it accepts; can answer 503 or 400, hang, or be stopped and
/// restarted on the same ports to play a collector that is down and comes back.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<ReceivedSpan> _spans = [];
    private readonly List<ReceivedMetric> _metrics = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? _app;
    private int _requests;

    private OtlpReceiver()
    {
    }

    public Uri HttpEndpoint { get; private set; } = null!;

    public Uri GrpcEndpoint { get; private set; } = null!;

    public CollectorMode Mode { get; set; } = CollectorMode.Accept;

    /// <summary>How long a <see cref="CollectorMode.Slow"/> collector takes to answer.</summary>
    public TimeSpan SlowDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Export requests received, whatever the answer.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public static async Task<OtlpReceiver> StartAsync()
    {
        var receiver = new OtlpReceiver();
        await receiver.RunAsync(0, 0);
        return receiver;
    }

    public IReadOnlyList<ReceivedSpan> Spans
    {
        get
        {
            lock (_gate)
            {
                return [.. _spans];
            }
        }
    }

    public IReadOnlyList<ReceivedMetric> Metrics
    {
        get
        {
            lock (_gate)
            {
                return [.. _metrics];
            }
        }
    }

    /// <summary>Stops listening: exporters now get "connection refused".</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Listens again on the same ports.</summary>
    public Task RestartAsync() => RunAsync(HttpEndpoint.Port, GrpcEndpoint.Port);

    /// <summary>Waits until the received spans satisfy <paramref name="condition"/>, or fails after <paramref name="timeout"/>.</summary>
    public Task<IReadOnlyList<ReceivedSpan>> WaitForSpansAsync(Func<IReadOnlyList<ReceivedSpan>, bool> condition, TimeSpan timeout) =>
        WaitAsync(() => Spans, condition, timeout, "spans");

    /// <summary>Waits until at least <paramref name="count"/> export requests arrived, whatever the answer.</summary>
    public Task WaitForRequestsAsync(int count, TimeSpan timeout) =>
        WaitAsync(() => Enumerable.Range(0, Requests).ToList(), requests => requests.Count >= count, timeout, "requests");

    public Task<IReadOnlyList<ReceivedMetric>> WaitForMetricsAsync(Func<IReadOnlyList<ReceivedMetric>, bool> condition, TimeSpan timeout) =>
        WaitAsync(() => Metrics, condition, timeout, "metrics");

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task<IReadOnlyList<T>> WaitAsync<T>(Func<IReadOnlyList<T>> read, Func<IReadOnlyList<T>, bool> condition, TimeSpan timeout, string what)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            IReadOnlyList<T> items = read();
            if (condition(items))
            {
                return items;
            }

            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The receiver did not get the expected {what} within {timeout}; it has {items.Count} {what} " +
                    $"from {Requests} requests:\n" + string.Join("\n", items.Take(30)));
            }
        }
    }

    private async Task RunAsync(int httpPort, int grpcPort)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, httpPort, o => o.Protocols = HttpProtocols.Http1);
            kestrel.Listen(IPAddress.Loopback, grpcPort, o => o.Protocols = HttpProtocols.Http2);
        });
        WebApplication app = builder.Build();
        app.MapPost("/v1/traces", context => HandleAsync(context, grpc: false, AddTraces));
        app.MapPost("/v1/metrics", context => HandleAsync(context, grpc: false, AddMetrics));
        app.MapPost("/opentelemetry.proto.collector.trace.v1.TraceService/Export", context => HandleAsync(context, grpc: true, AddTraces));
        app.MapPost("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", context => HandleAsync(context, grpc: true, AddMetrics));
        await app.StartAsync();
        var addresses = app.Urls.Select(u => new Uri(u)).ToList();
        HttpEndpoint = new Uri($"http://127.0.0.1:{addresses[0].Port}");
        GrpcEndpoint = new Uri($"http://127.0.0.1:{addresses[1].Port}");
        _app = app;
    }

    private async Task HandleAsync(HttpContext context, bool grpc, Action<Proto> add)
    {
        Interlocked.Increment(ref _requests);
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        switch (Mode)
        {
            case CollectorMode.Unavailable503:
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                Changed();
                return;
            case CollectorMode.BadRequest400:
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                Changed();
                return;
            case CollectorMode.Slow:
                try
                {
                    await Task.Delay(SlowDelay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                break;
        }

        byte[] payload = body.ToArray();
        if (grpc)
        {
            // gRPC framing: 1 byte compressed flag, 4 bytes big-endian length, then the message.
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(1, 4));
            payload = payload.AsSpan(5, length).ToArray();
        }

        add(Proto.Parse(payload));
        if (grpc)
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(new byte[] { 0, 0, 0, 0, 0 });
            context.Response.AppendTrailer("grpc-status", "0");
        }
        else
        {
            context.Response.ContentType = "application/x-protobuf";
        }

        Changed();
    }

    private void Changed()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    // ExportTraceServiceRequest: 1 ResourceSpans { 1 Resource { 1 attributes }, 2 ScopeSpans { 1 scope { 1 name }, 2 Span } }
    private void AddTraces(Proto request)
    {
        var spans = new List<ReceivedSpan>();
        foreach (Proto resourceSpans in request.Messages(1))
        {
            string service = resourceSpans.Message(1)?.Attributes(1).GetValueOrDefault("service.name") as string ?? "";
            foreach (Proto scopeSpans in resourceSpans.Messages(2))
            {
                string scope = scopeSpans.Message(1)?.String(1) ?? "";
                foreach (Proto span in scopeSpans.Messages(2))
                {
                    // Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 9 attributes, 13 links { 1 trace_id, 2 span_id }, 15 status { 3 code }
                    spans.Add(new ReceivedSpan(
                        service,
                        scope,
                        span.Hex(1),
                        span.Hex(2),
                        span.Hex(4),
                        span.String(5) ?? "",
                        (int)(span.Varint(6) ?? 0),
                        (int)(span.Message(15)?.Varint(3) ?? 0),
                        span.Attributes(9),
                        [.. span.Messages(13).Select(link => (link.Hex(1), link.Hex(2)))]));
                }
            }
        }

        lock (_gate)
        {
            _spans.AddRange(spans);
        }
    }

    // ExportMetricsServiceRequest: 1 ResourceMetrics { 1 Resource, 2 ScopeMetrics { 2 Metric { 1 name, 3 unit, 5 gauge, 7 sum, 9 histogram } } }
    private void AddMetrics(Proto request)
    {
        var metrics = new List<ReceivedMetric>();
        foreach (Proto resourceMetrics in request.Messages(1))
        {
            string service = resourceMetrics.Message(1)?.Attributes(1).GetValueOrDefault("service.name") as string ?? "";
            foreach (Proto scopeMetrics in resourceMetrics.Messages(2))
            {
                foreach (Proto metric in scopeMetrics.Messages(2))
                {
                    (string type, Proto? data) = metric.Message(9) is { } histogram ? ("histogram", histogram)
                        : metric.Message(7) is { } sum ? ("sum", sum)
                        : metric.Message(5) is { } gauge ? ("gauge", gauge)
                        : ("other", null);
                    var points = new List<ReceivedPoint>();
                    foreach (Proto point in data?.Messages(1) ?? [])
                    {
                        points.Add(type == "histogram"
                            // HistogramDataPoint: 9 attributes, 4 count (fixed64), 5 sum (double)
                            ? new ReceivedPoint(point.Attributes(9), null, point.Fixed64(4), point.Double(5))
                            // NumberDataPoint: 7 attributes, 4 as_double, 6 as_int (sfixed64)
                            : new ReceivedPoint(point.Attributes(7), point.Double(4) ?? (point.Fixed64(6) is { } i ? (long)i : null), null, null));
                    }

                    metrics.Add(new ReceivedMetric(service, metric.String(1) ?? "", metric.String(3) ?? "", type, points));
                }
            }
        }

        lock (_gate)
        {
            _metrics.AddRange(metrics);
        }
    }
}
