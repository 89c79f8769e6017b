namespace Afterward;

/// <summary>
/// Durable tasks anywhere (a worker, a timer, a controller that wants no after-response semantics), and their
/// operations: look one up for 202-and-poll, retry a dead one, delete one. Registered by
/// <c>services.AddDurableTasks(...)</c>.
/// </summary>
public interface IDurableTasks
{
    /// <summary>Stores a task for the handler registered as <paramref name="name"/>; runnable at once (or after <see cref="EnqueueOptions.Delay"/>).</summary>
    /// <returns>The task's id (an existing task's id when <see cref="EnqueueOptions.Key"/> matched one).</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is neither handled nor declared with <c>AddRemoteHandler</c>; or an option is invalid.</exception>
    Task<string> EnqueueAsync<TPayload>(string name, TPayload payload, EnqueueOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The task as stored now; null for an unknown id.</summary>
    Task<DurableTaskInfo?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>A dead task runs again, its attempts starting over and its last error cleared; false when there is no dead task of that id.</summary>
    Task<bool> RetryAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Removes a task that is not running (freeing its key); false when there is none, or it is running.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default);
}
