namespace Afterward;

/// <summary>
/// OpenTelemetry (OTLP) export. Export is off until an endpoint is set, here or through the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable. Every property left null falls back to its standard
/// <c>OTEL_*</c> variable, then to the default it documents; a value set here (in code or in the <c>Afterward:Otlp</c>
/// configuration section) wins over the variable.
/// </summary>
public sealed class OtlpOptions
{
    /// <summary>
    /// The collector's base address, for example <c>http://127.0.0.1:4318</c> (HTTP) or <c>http://127.0.0.1:4317</c>
    /// (gRPC). For HTTP, <c>/v1/traces</c> and <c>/v1/metrics</c> are appended to it. Default null:
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (and the per-signal <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c> /
    /// <c>OTEL_EXPORTER_OTLP_METRICS_ENDPOINT</c>, used as they are), else no export.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The transport. Default null: <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> (<c>http/protobuf</c> or <c>grpc</c>), else <see cref="OtlpProtocol.HttpProtobuf"/>.</summary>
    public OtlpProtocol? Protocol { get; set; }

    /// <summary>
    /// Headers sent with every export, such as a vendor's API key (<c>api-key</c> for New Relic). Merged over
    /// <c>OTEL_EXPORTER_OTLP_HEADERS</c> (<c>key1=value1,key2=value2</c>): a key set here wins. Default empty.
    /// </summary>
    public IDictionary<string, string> Headers { get; set; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// How often metrics are exported. Default null: <c>OTEL_METRIC_EXPORT_INTERVAL</c> (milliseconds), else 60 s.
    /// Accepted [1 s, 1 h].
    /// </summary>
    public TimeSpan? ExportInterval { get; set; }

    /// <summary>
    /// How long one export may take before it is abandoned (and its data counted as dropped). Default null:
    /// <c>OTEL_EXPORTER_OTLP_TIMEOUT</c> (milliseconds), else 10 s. Accepted [100 ms, 5 min].
    /// </summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>
    /// Spans waiting for export at most; further spans are dropped and counted while the collector is slow or down,
    /// so that an outage costs telemetry, never memory. Default null: <c>OTEL_BSP_MAX_QUEUE_SIZE</c>, else 2048.
    /// Accepted 1–1,000,000.
    /// </summary>
    public int? MaxQueueSize { get; set; }

    internal void Validate()
    {
        AfterwardOptions.Require(Endpoint is null || Endpoint.IsAbsoluteUri && (Endpoint.Scheme == Uri.UriSchemeHttp || Endpoint.Scheme == Uri.UriSchemeHttps),
            "Otlp.Endpoint", "must be an absolute http:// or https:// URI", Endpoint);
        AfterwardOptions.Require(Protocol is null || Enum.IsDefined(Protocol.Value), "Otlp.Protocol", "must be HttpProtobuf or Grpc", Protocol);
        AfterwardOptions.Require(Headers is not null, "Otlp.Headers", "must not be null", null);
        foreach (KeyValuePair<string, string> header in Headers!)
        {
            AfterwardOptions.Require(IsToken(header.Key), "Otlp.Headers", "must have non-empty header names without spaces or control characters", header.Key);
            AfterwardOptions.Require(header.Value is not null && !header.Value.Any(char.IsControl), "Otlp.Headers",
                "must have values without control characters", header.Key);
        }

        AfterwardOptions.Require(ExportInterval is null || ExportInterval >= TimeSpan.FromSeconds(1) && ExportInterval <= TimeSpan.FromHours(1),
            "Otlp.ExportInterval", "must be between 1 s and 1 hour", ExportInterval);
        AfterwardOptions.Require(Timeout is null || Timeout >= TimeSpan.FromMilliseconds(100) && Timeout <= TimeSpan.FromMinutes(5),
            "Otlp.Timeout", "must be between 100 ms and 5 minutes", Timeout);
        AfterwardOptions.Require(MaxQueueSize is null or >= 1 and <= 1_000_000, "Otlp.MaxQueueSize", "must be between 1 and 1000000", MaxQueueSize);
    }

    internal static bool IsToken(string? name) =>
        !string.IsNullOrEmpty(name) && name.All(static c => c > ' ' && c < 127 && c is not ':' and not ',' and not '=');

    internal OtlpOptions Clone() => new()
    {
        Endpoint = Endpoint,
        Protocol = Protocol,
        Headers = new Dictionary<string, string>(Headers, StringComparer.OrdinalIgnoreCase),
        ExportInterval = ExportInterval,
        Timeout = Timeout,
        MaxQueueSize = MaxQueueSize,
    };
}
