namespace Afterward;

/// <summary>Where a durable task is in its life.</summary>
public enum DurableTaskState
{
    /// <summary>Waiting for its delay to pass (or for the request that enqueued it to complete its response).</summary>
    Scheduled,

    /// <summary>Runnable now, waiting for a worker.</summary>
    Queued,

    /// <summary>A worker holds its lease and runs it.</summary>
    Running,

    /// <summary>A run failed or was lost; waiting for its next attempt.</summary>
    Retrying,

    /// <summary>A run succeeded. Kept for <see cref="DurableTasksOptions.Retention"/>.</summary>
    Succeeded,

    /// <summary>Out of attempts, or its payload cannot be read. Kept for <see cref="DurableTasksOptions.Retention"/>; retry it from the dashboard or <see cref="IDurableTasks.RetryAsync"/>.</summary>
    Dead,
}
