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

    [LoggerMessage(2007, LogLevel.Warning,
        "Disposing the DI scope of background task(s) {Tasks} took longer than {Bound}: one of the application's scoped services does not " +
        "finish its Dispose/DisposeAsync. The worker moved on; the disposal goes on in the background.")]
    public static partial void ScopeDisposalHung(ILogger logger, string tasks, TimeSpan bound);

    [LoggerMessage(2008, LogLevel.Warning,
        "A scoped service of the application threw while the DI scope of background task(s) {Tasks} was disposed; the tasks' outcomes stand.")]
    public static partial void ScopeDisposalFailed(ILogger logger, string tasks, Exception exception);
}
