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
