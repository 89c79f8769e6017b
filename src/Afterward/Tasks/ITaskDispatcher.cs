namespace Afterward.Tasks;

/// <summary>
/// The seam between "a request finished, here are its tasks" and whoever runs them: the in-memory
/// <see cref="BackgroundTaskRunner"/>, or a durable backend that stored the tasks when they were added. Registered
/// in DI (one per backend); the host's <c>AfterwardHostedService</c> starts every dispatcher and stops them all when
/// the host stops.
/// </summary>
internal interface ITaskDispatcher
{
    /// <summary>The backend's name in logs, counters and health data: <c>memory</c>, <c>durable</c>.</summary>
    string Backend { get; }

    /// <summary>This backend's task counters.</summary>
    TaskCounterCells Counters { get; }

    /// <summary>The response completed: run (or release) the request's tasks. Waits only for room in a bounded queue.</summary>
    ValueTask DispatchAsync(TaskBatch batch);

    /// <summary>The handler failed with an unhandled exception: its tasks will not run; count and report them.</summary>
    void Skip(TaskBatch batch, string transactionName);

    /// <summary>Starts the workers (the host's <c>StartAsync</c>).</summary>
    void Start();

    /// <summary>
    /// Stops taking work and drains until <paramref name="deadline"/> fires; then cancels running tasks and either
    /// abandons what is left (in memory: logged by name and count) or releases it to its store for the next start.
    /// </summary>
    Task<ShutdownReport> StopAsync(CancellationToken deadline);
}

/// <summary>What a dispatcher's stop left behind.</summary>
/// <param name="Backend">The dispatcher's backend.</param>
/// <param name="Abandoned">Tasks that will never run (in memory).</param>
/// <param name="Released">Tasks put back in their store, to run on the next start or on another instance.</param>
internal readonly record struct ShutdownReport(string Backend, int Abandoned, int Released);
