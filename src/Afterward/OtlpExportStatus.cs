namespace Afterward;

/// <summary>
/// How OTLP export was doing at one moment: what was sent, what was dropped and why. A read-only snapshot of the
/// host's exporter (<see cref="Application.Export"/> reads a new one each time); the counters only grow.
/// </summary>
public sealed class OtlpExportStatus
{
    internal OtlpExportStatus(ExportStatusCells cells)
    {
        Enabled = cells.Enabled;
        TracesEndpoint = cells.TracesEndpoint;
        MetricsEndpoint = cells.MetricsEndpoint;
        SpansExported = cells.SpansExported;
        SpansDropped = cells.SpansDropped;
        SpanExportsFailed = cells.SpanExportsFailed;
        SpansQueued = cells.SpansQueued;
        MetricExports = cells.MetricExports;
        MetricExportsFailed = cells.MetricExportsFailed;
        (LastError, LastErrorAt) = cells.LastFailure;
    }

    /// <summary>True while this application's host exports over OTLP.</summary>
    public bool Enabled { get; }

    /// <summary>Where spans go, when <see cref="Enabled"/>.</summary>
    public Uri? TracesEndpoint { get; }

    /// <summary>Where metrics go, when <see cref="Enabled"/>.</summary>
    public Uri? MetricsEndpoint { get; }

    /// <summary>Spans the collector accepted.</summary>
    public long SpansExported { get; }

    /// <summary>Spans lost: the queue was full, or the collector was down, slow or refused the batch.</summary>
    public long SpansDropped { get; }

    /// <summary>Span batches that failed to export.</summary>
    public long SpanExportsFailed { get; }

    /// <summary>Spans waiting for export (at most <see cref="OtlpOptions.MaxQueueSize"/>).</summary>
    public long SpansQueued { get; }

    /// <summary>Metric exports attempted.</summary>
    public long MetricExports { get; }

    /// <summary>Metric exports that failed (with cumulative temporality, the next success carries the totals).</summary>
    public long MetricExportsFailed { get; }

    /// <summary>The latest failure's reason (an HTTP status or a connection error), or null if none happened.</summary>
    public string? LastError { get; }

    /// <summary>When <see cref="LastError"/> happened.</summary>
    public DateTimeOffset? LastErrorAt { get; }
}

/// <summary>The live export counters, written by Afterward.OpenTelemetry's exporter.</summary>
internal sealed class ExportStatusCells
{
    private readonly Lock _failureGate = new();
    private long _spansExported;
    private long _spansDropped;
    private long _spanExportsFailed;
    private long _metricExports;
    private long _metricExportsFailed;
    private (string? Reason, DateTimeOffset? At) _lastFailure;

    public bool Enabled { get; private set; }

    public Uri? TracesEndpoint { get; private set; }

    public Uri? MetricsEndpoint { get; private set; }

    public long SpansExported => Interlocked.Read(ref _spansExported);

    public long SpansDropped => Interlocked.Read(ref _spansDropped);

    public long SpanExportsFailed => Interlocked.Read(ref _spanExportsFailed);

    public long SpansQueued => QueueDepth?.Invoke() ?? 0;

    public long MetricExports => Interlocked.Read(ref _metricExports);

    public long MetricExportsFailed => Interlocked.Read(ref _metricExportsFailed);

    public (string? Reason, DateTimeOffset? At) LastFailure
    {
        get
        {
            lock (_failureGate)
            {
                return _lastFailure;
            }
        }
    }

    public Func<long>? QueueDepth { get; set; }

    public OtlpExportStatus Read() => new(this);

    public void Start(Uri? traces, Uri? metrics)
    {
        TracesEndpoint = traces;
        MetricsEndpoint = metrics;
        Enabled = true;
    }

    public void Stop() => Enabled = false;

    public void SpansSent(int count) => Interlocked.Add(ref _spansExported, count);

    public void SpansLost(int count) => Interlocked.Add(ref _spansDropped, count);

    public void SpanExportFailed() => Interlocked.Increment(ref _spanExportsFailed);

    public void MetricExported(bool success)
    {
        Interlocked.Increment(ref _metricExports);
        if (!success)
        {
            Interlocked.Increment(ref _metricExportsFailed);
        }
    }

    public void Failed(string reason, DateTimeOffset at)
    {
        lock (_failureGate)
        {
            _lastFailure = (reason, at);
        }
    }
}
