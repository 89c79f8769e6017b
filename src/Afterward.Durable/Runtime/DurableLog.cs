using Microsoft.Extensions.Logging;

namespace Afterward.Durable.Runtime;

/// <summary>Durable tasks' messages (4xxx).</summary>
internal static partial class DurableLog
{
    [LoggerMessage(4001, LogLevel.Warning,
        "The handler of {Transaction} failed with an unhandled exception; its {Count} durable task(s) were deleted before they could run: {Tasks}.")]
    public static partial void Discarded(ILogger logger, string transaction, int count, string tasks);

    [LoggerMessage(4002, LogLevel.Warning, "Durable task {Name} ({Id}) failed on attempt {Attempt} of {MaxAttempts}; retrying in {Delay}.")]
    public static partial void Retrying(ILogger logger, string name, string id, int attempt, int maxAttempts, TimeSpan delay, Exception exception);

    [LoggerMessage(4003, LogLevel.Error, "Durable task {Name} ({Id}) is dead after {Attempts} attempt(s): {Reason}. Retry it from the dashboard once the cause is fixed.")]
    public static partial void Dead(ILogger logger, string name, string id, int attempts, string reason);

    [LoggerMessage(4004, LogLevel.Warning,
        "Shutting down: {Count} running durable task(s) were cancelled at the host's deadline and put back in the store, to run on the next start or another instance: {Tasks}.")]
    public static partial void Released(ILogger logger, int count, string tasks);

    [LoggerMessage(4005, LogLevel.Warning, "The durable store failed in {Operation}; retrying in {Delay}. Tasks are kept in the store.")]
    public static partial void StoreFailed(ILogger logger, string operation, TimeSpan delay, Exception exception);

    [LoggerMessage(4006, LogLevel.Warning, "Durable task {Name} ({Id}) lost its lease (another worker may run it now); this run's result is discarded.")]
    public static partial void LeaseLost(ILogger logger, string name, string id);

    [LoggerMessage(4007, LogLevel.Information, "Returned {Count} durable task(s) whose process stopped while running them (lease expired) to the queue.")]
    public static partial void Rescued(ILogger logger, int count);

    [LoggerMessage(4008, LogLevel.Information, "Durable tasks: store {Store}, instance {Instance}, handling {Names}.")]
    public static partial void Started(ILogger logger, string store, string instance, string names);
}
