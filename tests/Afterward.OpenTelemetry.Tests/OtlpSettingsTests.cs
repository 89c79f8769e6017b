using Afterward.Export;
using Microsoft.Extensions.Logging;

namespace Afterward.OpenTelemetry.Tests;

/// <summary>Which endpoint, protocol, headers and limits export uses: options over the standard OTEL_* variables over defaults.</summary>
public class OtlpSettingsTests
{
    private readonly ListLoggerProvider _logs = new();

    [Fact]
    public void NoEndpointAnywhere_NoExport()
    {
        Assert.Null(Resolve(new OtlpOptions()));
    }

    [Fact]
    public void BaseEndpointVariable_GetsSignalPathsOverHttp()
    {
        OtlpSettings settings = Resolve(new OtlpOptions(), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"))!;

        Assert.Equal(new Uri("http://collector:4318/v1/traces"), settings.TracesEndpoint);
        Assert.Equal(new Uri("http://collector:4318/v1/metrics"), settings.MetricsEndpoint);
        Assert.Equal(OtlpProtocol.HttpProtobuf, settings.Protocol);
    }

    [Fact]
    public void BaseEndpointWithPath_KeepsItsPath()
    {
        OtlpSettings settings = Resolve(new OtlpOptions { Endpoint = new Uri("https://otlp.example.com/tenant/") })!;

        Assert.Equal(new Uri("https://otlp.example.com/tenant/v1/traces"), settings.TracesEndpoint);
    }

    [Fact]
    public void Grpc_UsesTheEndpointAsItIs()
    {
        OtlpSettings settings = Resolve(new OtlpOptions(),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"))!;

        Assert.Equal(OtlpProtocol.Grpc, settings.Protocol);
        Assert.Equal(new Uri("http://collector:4317"), settings.TracesEndpoint);
        Assert.Equal(new Uri("http://collector:4317"), settings.MetricsEndpoint);
    }

    [Fact]
    public void PerSignalVariables_AreUsedAsTheyAre_AndWinOverTheBaseOne()
    {
        OtlpSettings settings = Resolve(new OtlpOptions(),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:9999/custom"))!;

        Assert.Equal(new Uri("http://traces:9999/custom"), settings.TracesEndpoint);
        Assert.Equal(new Uri("http://collector:4318/v1/metrics"), settings.MetricsEndpoint);
    }

    [Fact]
    public void Options_WinOverVariables()
    {
        var options = new OtlpOptions
        {
            Endpoint = new Uri("http://mine:4318"),
            Protocol = OtlpProtocol.HttpProtobuf,
            Timeout = TimeSpan.FromSeconds(3),
            ExportInterval = TimeSpan.FromSeconds(15),
            MaxQueueSize = 100,
        };
        options.Headers["api-key"] = "from-options";

        OtlpSettings settings = Resolve(options,
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://theirs:4317"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://theirs:4317/t"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=from-variable,x-team=core"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "20000"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "5000"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "9"))!;

        Assert.Equal(new Uri("http://mine:4318/v1/traces"), settings.TracesEndpoint);
        Assert.Equal(OtlpProtocol.HttpProtobuf, settings.Protocol);
        Assert.Equal("from-options", settings.Headers["api-key"]);
        Assert.Equal("core", settings.Headers["x-team"]);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(15), settings.ExportInterval);
        Assert.Equal(100, settings.MaxQueueSize);
    }

    [Fact]
    public void Variables_FillWhatOptionsLeaveUnset_AndDefaultsTheRest()
    {
        OtlpSettings settings = Resolve(new OtlpOptions { Endpoint = new Uri("http://c:4318") },
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "10000"),
            ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "Delta"))!;

        Assert.Equal(TimeSpan.FromMilliseconds(2500), settings.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.ExportInterval);
        Assert.True(settings.DeltaTemporality);
        Assert.Equal(2048, settings.MaxQueueSize);
        Assert.Equal(512, settings.MaxBatchSize);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.ScheduleDelay);
    }

    [Fact]
    public void HeaderValues_AreUrlDecoded_AndEncodedBackForTheExporter()
    {
        OtlpSettings settings = Resolve(new OtlpOptions(),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Basic%20abc%3D%3D, api-key = k1 "))!;

        Assert.Equal("Basic abc==", settings.Headers["Authorization"]);
        Assert.Equal("k1", settings.Headers["api-key"]);
        Assert.Contains("Authorization=Basic%20abc%3D%3D", settings.HeaderString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]
    [InlineData("OTEL_EXPORTER_OTLP_TIMEOUT", "ten")]
    [InlineData("OTEL_EXPORTER_OTLP_TIMEOUT", "-5")]
    [InlineData("OTEL_METRIC_EXPORT_INTERVAL", "99999999999")]
    [InlineData("OTEL_BSP_MAX_QUEUE_SIZE", "0")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "not a uri")]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "novalue,=x")]
    public void MalformedVariable_IsLoggedAndIgnored_NeverThrown(string variable, string value)
    {
        OtlpSettings? settings = Resolve(new OtlpOptions(), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"), (variable, value));

        Assert.NotNull(settings);
        Assert.Equal(new Uri("http://c:4318/v1/traces"), settings.TracesEndpoint);
        Assert.Contains(_logs.Entries, e => e.EventId == 1105 && e.Level == LogLevel.Warning && e.Message.Contains(variable, StringComparison.Ordinal));
    }

    [Fact]
    public void MalformedHeader_IsLoggedWithoutItsValue()
    {
        Resolve(new OtlpOptions(), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"), ("OTEL_EXPORTER_OTLP_HEADERS", "bad key=secret-token"));

        Assert.DoesNotContain(_logs.Messages, m => m.Contains("secret-token", StringComparison.Ordinal));
        Assert.Contains(_logs.Entries, e => e.EventId == 1105);
    }

    [Fact]
    public void SdkDisabled_TurnsExportOff_EvenWithAnEndpoint()
    {
        Assert.Null(Resolve(new OtlpOptions { Endpoint = new Uri("http://c:4318") }, ("OTEL_SDK_DISABLED", "true")));
    }

    private OtlpSettings? Resolve(OtlpOptions options, params (string Name, string Value)[] variables)
    {
        var lookup = variables.ToDictionary(v => v.Name, v => v.Value);
        using var factory = LoggerFactory.Create(b => b.AddProvider(_logs));
        return OtlpSettings.Resolve(options, name => lookup.GetValueOrDefault(name), factory.CreateLogger("test"));
    }
}
