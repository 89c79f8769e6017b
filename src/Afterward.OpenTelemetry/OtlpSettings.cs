using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Afterward.Export;

/// <summary>
/// The export settings in effect: <see cref="OtlpOptions"/> over the standard <c>OTEL_*</c> variables over defaults.
/// Variables are runtime data: a malformed one is logged and ignored, never thrown.
/// </summary>
internal sealed record OtlpSettings(
    Uri TracesEndpoint,
    Uri MetricsEndpoint,
    OtlpProtocol Protocol,
    IReadOnlyDictionary<string, string> Headers,
    TimeSpan Timeout,
    TimeSpan ExportInterval,
    int MaxQueueSize,
    int MaxBatchSize,
    TimeSpan ScheduleDelay,
    bool DeltaTemporality)
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string TracesEndpointVariable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    public const string MetricsEndpointVariable = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";
    public const string ProtocolVariable = "OTEL_EXPORTER_OTLP_PROTOCOL";
    public const string HeadersVariable = "OTEL_EXPORTER_OTLP_HEADERS";
    public const string TimeoutVariable = "OTEL_EXPORTER_OTLP_TIMEOUT";
    public const string IntervalVariable = "OTEL_METRIC_EXPORT_INTERVAL";
    public const string TemporalityVariable = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
    public const string QueueSizeVariable = "OTEL_BSP_MAX_QUEUE_SIZE";
    public const string BatchSizeVariable = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE";
    public const string ScheduleDelayVariable = "OTEL_BSP_SCHEDULE_DELAY";
    public const string DisabledVariable = "OTEL_SDK_DISABLED";
    public const string ResourceAttributesVariable = "OTEL_RESOURCE_ATTRIBUTES";

    /// <summary>The settings, or null when no endpoint is configured or <c>OTEL_SDK_DISABLED=true</c>.</summary>
    public static OtlpSettings? Resolve(OtlpOptions options, Func<string, string?> variables, ILogger logger)
    {
        if (string.Equals(variables(DisabledVariable)?.Trim(), "true", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        OtlpProtocol protocol = options.Protocol ?? ParseProtocol(variables(ProtocolVariable), logger);
        Uri? baseEndpoint = options.Endpoint ?? ParseUri(EndpointVariable, variables(EndpointVariable), logger);
        Uri? traces = options.Endpoint is null ? ParseUri(TracesEndpointVariable, variables(TracesEndpointVariable), logger) : null;
        Uri? metrics = options.Endpoint is null ? ParseUri(MetricsEndpointVariable, variables(MetricsEndpointVariable), logger) : null;
        if (baseEndpoint is null && traces is null && metrics is null)
        {
            return null;
        }

        // Per the specification: a per-signal endpoint is used as it is; the base one gets the signal's path over HTTP.
        baseEndpoint ??= new Uri(protocol == OtlpProtocol.Grpc ? "http://localhost:4317" : "http://localhost:4318");
        traces ??= SignalEndpoint(baseEndpoint, protocol, "v1/traces");
        metrics ??= SignalEndpoint(baseEndpoint, protocol, "v1/metrics");

        Dictionary<string, string> headers = ParsePairs(HeadersVariable, variables(HeadersVariable), logger);
        foreach (KeyValuePair<string, string> header in options.Headers)
        {
            headers[header.Key] = header.Value;
        }

        return new OtlpSettings(
            traces,
            metrics,
            protocol,
            headers,
            options.Timeout ?? Milliseconds(TimeoutVariable, variables(TimeoutVariable), 100, 300_000, logger) ?? TimeSpan.FromSeconds(10),
            options.ExportInterval ?? Milliseconds(IntervalVariable, variables(IntervalVariable), 1_000, 3_600_000, logger) ?? TimeSpan.FromSeconds(60),
            options.MaxQueueSize ?? Integer(QueueSizeVariable, variables(QueueSizeVariable), 1, 1_000_000, logger) ?? 2048,
            Integer(BatchSizeVariable, variables(BatchSizeVariable), 1, 100_000, logger) ?? 512,
            Milliseconds(ScheduleDelayVariable, variables(ScheduleDelayVariable), 1, 3_600_000, logger) ?? TimeSpan.FromSeconds(5),
            string.Equals(variables(TemporalityVariable)?.Trim(), "delta", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The headers as the OpenTelemetry exporter takes them: <c>k1=v1,k2=v2</c> with values URL-encoded.</summary>
    public string HeaderString() =>
        string.Join(',', Headers.Select(static h => h.Key + "=" + Uri.EscapeDataString(h.Value)));

    private static Uri SignalEndpoint(Uri baseEndpoint, OtlpProtocol protocol, string path)
    {
        if (protocol == OtlpProtocol.Grpc)
        {
            return baseEndpoint;
        }

        string text = baseEndpoint.AbsoluteUri;
        return new Uri(text.EndsWith('/') ? text + path : text + "/" + path);
    }

    private static OtlpProtocol ParseProtocol(string? value, ILogger logger)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "" or "http/protobuf":
                return OtlpProtocol.HttpProtobuf;
            case "grpc":
                return OtlpProtocol.Grpc;
            default:
                ExportLog.BadVariable(logger, ProtocolVariable, value, "http/protobuf or grpc; using http/protobuf");
                return OtlpProtocol.HttpProtobuf;
        }
    }

    private static Uri? ParseUri(string variable, string? value, ILogger logger)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (Uri.TryCreate(value.Trim(), UriKind.Absolute, out Uri? uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri;
        }

        ExportLog.BadVariable(logger, variable, value, "an absolute http:// or https:// URI; ignored");
        return null;
    }

    /// <summary>Parses <c>key1=value1,key2=value2</c> with URL-encoded values; malformed entries are logged (never their value) and skipped.</summary>
    public static Dictionary<string, string> ParsePairs(string variable, string? value, ILogger logger)
    {
        var pairs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(value))
        {
            return pairs;
        }

        foreach (string pair in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            string key = equals > 0 ? pair[..equals].Trim() : "";
            string decoded = equals > 0 ? Uri.UnescapeDataString(pair[(equals + 1)..].Trim()) : "";
            if (!OtlpOptions.IsToken(key) || decoded.Any(char.IsControl))
            {
                // Never log the value: in the headers it is usually an API key.
                ExportLog.BadVariable(logger, variable, "(a malformed entry)", "key=value pairs separated by commas; that entry is ignored");
                continue;
            }

            pairs[key] = decoded;
        }

        return pairs;
    }

    private static TimeSpan? Milliseconds(string variable, string? value, int min, int max, ILogger logger) =>
        Integer(variable, value, min, max, logger) is { } ms ? TimeSpan.FromMilliseconds(ms) : null;

    private static int? Integer(string variable, string? value, int min, int max, ILogger logger)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) && parsed >= min && parsed <= max)
        {
            return parsed;
        }

        ExportLog.BadVariable(logger, variable, value, $"an integer between {min} and {max}; the default is used");
        return null;
    }
}
