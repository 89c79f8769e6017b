namespace Afterward;

/// <summary>
/// How OTLP export is doing in this process: what was sent, what was dropped and why. Read it from
/// <see cref="Application.Export"/> of the application that started export (the host's). Counters only grow.
/// </summary>
public sealed class OtlpExportStatus
{
    private long _spansExported;
    private long _spansDropped;
    private long _spanExportsFailed;
    private long _metricExports;
    private long _metricExportsFailed;
    private string? _lastError;
    private long _lastErrorTicks;

    /// <summary>True while this application's process exports over OTLP.</summary>
    public bool Enabled { get; private set; }

    /// <summary>Where spans go, when <see cref="Enabled"/>.</summary>
    public Uri? TracesEndpoint { get; private set; }

    /// <summary>Where metrics go, when <see cref="Enabled"/>.</summary>
    public Uri? MetricsEndpoint { get; private set; }

    /// <summary>Spans the collector accepted.</summary>
    public long SpansExported => Interlocked.Read(ref _spansExported);

    /// <summary>Spans lost: the queue was full, or the collector was down, slow or refused the batch.</summary>
    public long SpansDropped => Interlocked.Read(ref _spansDropped);

    /// <summary>Span batches that failed to export.</summary>
    public long SpanExportsFailed => Interlocked.Read(ref _spanExportsFailed);

    /// <summary>Spans waiting for export now (at most <see cref="OtlpOptions.MaxQueueSize"/>).</summary>
    public long SpansQueued => QueueDepth?.Invoke() ?? 0;

    /// <summary>Metric exports attempted.</summary>
    public long MetricExports => Interlocked.Read(ref _metricExports);

    /// <summary>Metric exports that failed (with cumulative temporality, the next success carries the totals).</summary>
    public long MetricExportsFailed => Interlocked.Read(ref _metricExportsFailed);

    /// <summary>The latest failure's reason (an HTTP status or a connection error), or null if none happened.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>When <see cref="LastError"/> happened.</summary>
    public DateTimeOffset? LastErrorAt => Interlocked.Read(ref _lastErrorTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    internal void Start(Uri traces, Uri metrics)
    {
        TracesEndpoint = traces;
        MetricsEndpoint = metrics;
        Enabled = true;
    }

    internal void Stop() => Enabled = false;

    internal Func<long>? QueueDepth { get; set; }

    internal void SpansSent(int count) => Interlocked.Add(ref _spansExported, count);

    internal void SpansLost(int count) => Interlocked.Add(ref _spansDropped, count);

    internal void SpanExportFailed() => Interlocked.Increment(ref _spanExportsFailed);

    internal void MetricExported(bool success)
    {
        Interlocked.Increment(ref _metricExports);
        if (!success)
        {
            Interlocked.Increment(ref _metricExportsFailed);
        }
    }

    internal void Failed(string reason, DateTimeOffset at)
    {
        Volatile.Write(ref _lastError, reason);
        Interlocked.Exchange(ref _lastErrorTicks, at.UtcTicks);
    }
}
