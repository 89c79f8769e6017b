namespace Afterward;

/// <summary>
/// Runs durable tasks of one registered name (<see cref="DurableTasksBuilder.AddHandler{TPayload, THandler}(string)"/>).
/// Created in each run's own DI scope. Throwing fails the run (retried with backoff until
/// <see cref="DurableTasksOptions.MaxAttempts"/>); the token fires at the run's timeout, when the host stops, or when
/// the worker lost its lease.
/// </summary>
/// <typeparam name="TPayload">The payload, read from its stored JSON.</typeparam>
public interface IDurableTaskHandler<in TPayload>
{
    /// <summary>Runs one attempt. A task runs at least once: make the work idempotent.</summary>
    Task HandleAsync(TPayload payload, DurableTaskContext context, CancellationToken cancellationToken);
}
