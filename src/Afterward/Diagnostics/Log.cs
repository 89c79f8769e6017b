using Microsoft.Extensions.Logging;

namespace Afterward;

/// <summary>The agent's log messages. Event ids are stable: 1xxx agent, 2xxx background tasks, 3xxx ASP.NET Core.</summary>
internal static partial class Log
{
    public const string NameLimitKey = "name-limit";

    [LoggerMessage(1001, LogLevel.Warning,
        "Transaction {MetricName} ran for {Duration} which exceeds MaxTransactionDuration ({MaxDuration}); it was dropped " +
        "(Supportability/Transaction/Dropped/TooLong). Split the work into smaller background tasks.")]
    public static partial void TransactionTooLong(ILogger logger, string metricName, TimeSpan duration, TimeSpan maxDuration);

    [LoggerMessage(1002, LogLevel.Warning,
        "Application {Application} reached MaxTransactionNames ({MaxNames}); further names are recorded as " +
        "WebTransaction/{{group}}/* or OtherTransaction/{{group}}/*. Name transactions by route or function, not by data.")]
    public static partial void TransactionNameLimitReached(ILogger logger, string application, int maxNames);

    [LoggerMessage(1003, LogLevel.Error, "Afterward failed in {Operation}; some telemetry was lost, the application is unaffected.")]
    public static partial void AgentFault(ILogger logger, string operation, Exception exception);

    [LoggerMessage(1004, LogLevel.Warning, "A Harvested handler of application {Application} threw; the harvest itself succeeded.")]
    public static partial void HarvestHandlerFailed(ILogger logger, string application, Exception exception);
}

/// <summary>The background-task runner's messages (2xxx).</summary>
internal static partial class TaskLog
{
    [LoggerMessage(2001, LogLevel.Error, "Background task {Task} failed (scheduled by the request with trace id {TraceId}); the next task still runs.")]
    public static partial void TaskFailed(ILogger logger, string task, string traceId, Exception exception);

    [LoggerMessage(2002, LogLevel.Warning, "The handler of {Transaction} failed with an unhandled exception; its {Count} background task(s) were skipped: {Tasks}.")]
    public static partial void TasksSkipped(ILogger logger, string transaction, int count, string tasks);

    [LoggerMessage(2003, LogLevel.Warning, "{Count} background task(s) did not finish before the shutdown deadline and were abandoned: {Tasks}.")]
    public static partial void TasksAbandoned(ILogger logger, int count, string tasks);

    [LoggerMessage(2004, LogLevel.Warning,
        "Background task {Task} has been running for more than {Threshold}. Split it into smaller tasks, or move it to a durable queue.")]
    public static partial void LongRunningTask(ILogger logger, string task, TimeSpan threshold);

    [LoggerMessage(2005, LogLevel.Information, "Background task {Task} failed on attempt {Attempt}; retrying in {Delay}.")]
    public static partial void TaskRetrying(ILogger logger, string task, int attempt, TimeSpan delay, Exception? exception);

    [LoggerMessage(2006, LogLevel.Information, "Shutting down: waiting for {Count} queued or running background task(s) to finish.")]
    public static partial void Draining(ILogger logger, long count);
}

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
        "OTLP export is already running in this process for application {Application}; a second exporter would send everything twice, so none is started.")]
    public static partial void AlreadyExporting(ILogger logger, string application);
}
