namespace Afterward;

/// <summary>
/// OpenTelemetry export over OTLP. Export is off until <see cref="Endpoint"/> is set here or through the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable.
/// </summary>
public sealed class OtlpOptions
{
    /// <summary>The collector's base address, for example <c>http://127.0.0.1:4318</c>. Default null: no export.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The transport. Default <see cref="OtlpProtocol.HttpProtobuf"/>.</summary>
    public OtlpProtocol Protocol { get; set; } = OtlpProtocol.HttpProtobuf;

    /// <summary>Headers sent with every export, such as a vendor's API key. Default empty.</summary>
    public IDictionary<string, string> Headers { get; set; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>How often metrics are exported. Default 60 s; accepted [1 s, 1 h].</summary>
    public TimeSpan ExportInterval { get; set; } = TimeSpan.FromSeconds(60);

    internal void Validate()
    {
        AfterwardOptions.Require(Endpoint is null || Endpoint.IsAbsoluteUri, "Otlp.Endpoint", "must be an absolute URI", Endpoint);
        AfterwardOptions.Require(Enum.IsDefined(Protocol), "Otlp.Protocol", "must be HttpProtobuf or Grpc", Protocol);
        AfterwardOptions.Require(Headers is not null, "Otlp.Headers", "must not be null", null);
        AfterwardOptions.Require(ExportInterval >= TimeSpan.FromSeconds(1) && ExportInterval <= TimeSpan.FromHours(1),
            "Otlp.ExportInterval", "must be between 1 s and 1 hour", ExportInterval);
    }

    internal OtlpOptions Clone() => new()
    {
        Endpoint = Endpoint,
        Protocol = Protocol,
        Headers = new Dictionary<string, string>(Headers, StringComparer.OrdinalIgnoreCase),
        ExportInterval = ExportInterval,
    };
}
