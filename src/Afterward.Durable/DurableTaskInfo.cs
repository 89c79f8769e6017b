namespace Afterward;

/// <summary>A durable task as stored now (<see cref="IDurableTasks.GetAsync"/>).</summary>
/// <param name="Id">Its id, returned by the enqueue.</param>
/// <param name="Name">The registered name it runs under.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="Attempts">Runs started so far (a run put back by a graceful stop does not count).</param>
/// <param name="EnqueuedAt">When it was stored.</param>
/// <param name="StartedAt">When its latest run started, if any.</param>
/// <param name="CompletedAt">When it succeeded or died, if it did.</param>
/// <param name="LastError"><c>{exception full type name}: {message}</c> of the last failed run, or null.</param>
public sealed record DurableTaskInfo(
    string Id,
    string Name,
    DurableTaskState State,
    int Attempts,
    DateTimeOffset EnqueuedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? LastError);
