using Microsoft.Extensions.Logging;

namespace Afterward.Export;

/// <summary>OpenTelemetry export messages (11xx).</summary>
internal static partial class ExportLog
{
    [LoggerMessage(1101, LogLevel.Information, "Exporting OpenTelemetry spans to {TracesEndpoint} and metrics to {MetricsEndpoint} ({Protocol}) as service {ServiceName}.")]
    public static partial void Exporting(ILogger logger, Uri tracesEndpoint, Uri metricsEndpoint, OtlpProtocol protocol, string serviceName);

    [LoggerMessage(1102, LogLevel.Warning,
        "OTLP export of {Signal} to {Endpoint} failed: {Reason}. The application is unaffected; {Signal} are dropped and counted " +
        "(Application.Export) until the collector answers again. This is logged once per outage.")]
    public static partial void ExportFailing(ILogger logger, string signal, Uri endpoint, string reason);

    [LoggerMessage(1103, LogLevel.Information, "OTLP export of {Signal} to {Endpoint} recovered; {Lost} lost during the outage.")]
    public static partial void ExportRecovered(ILogger logger, string signal, Uri endpoint, long lost);

    [LoggerMessage(1104, LogLevel.Warning,
        "The OTLP span queue is full ({Capacity} spans) because {Endpoint} is slow or down; further spans are dropped and counted " +
        "until it catches up. Raise Afterward:Otlp:MaxQueueSize if this is a burst, not an outage.")]
    public static partial void QueueFull(ILogger logger, int capacity, Uri endpoint);

    [LoggerMessage(1105, LogLevel.Warning, "Ignoring {Variable}='{Value}': expected {Expected}.")]
    public static partial void BadVariable(ILogger logger, string variable, string? value, string expected);

    [LoggerMessage(1106, LogLevel.Information,
        "The application registers its own OpenTelemetry {Provider}; Afterward does not build one, so nothing is exported twice. " +
        "Add .AddSource(\"Afterward\") and .AddMeter(\"Afterward\") to the application's providers to export Afterward's telemetry.")]
    public static partial void ApplicationOwnsProvider(ILogger logger, string provider);

    [LoggerMessage(1107, LogLevel.Warning,
        "Afterward:Otlp:Endpoint is set, but the application registers its own OpenTelemetry {Provider}; the endpoint is ignored " +
        "for it so that nothing is exported twice. Configure the exporter on the application's provider instead.")]
    public static partial void EndpointIgnored(ILogger logger, string provider);

    [LoggerMessage(1108, LogLevel.Information,
        "Afterward's Meter is already exported in this process by application {Application}'s host; this host exports its own spans only, " +
        "so that no metric is sent twice (every Afterward metric carries the afterward.app attribute).")]
    public static partial void MetricsExportedElsewhere(ILogger logger, string application);

    [LoggerMessage(1109, LogLevel.Error, "Afterward's OTLP export failed in {Operation}; some telemetry was lost, the application is unaffected.")]
    public static partial void ExportFault(ILogger logger, string operation, Exception exception);
}
