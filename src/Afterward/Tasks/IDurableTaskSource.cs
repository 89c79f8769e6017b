namespace Afterward.Tasks;

/// <summary>
/// What the dashboard (Afterward.AspNetCore) reads and does with durable tasks, without depending on
/// Afterward.Durable: registered by <c>AddDurableTasks</c>, looked up by <c>MapAfterwardDashboard</c>.
/// </summary>
internal interface IDurableTaskSource
{
    Task<DurableSummaryView> SummaryAsync(CancellationToken cancellationToken);

    Task<DurableTaskView?> GetAsync(string id, CancellationToken cancellationToken);

    Task<bool> RetryAsync(string id, CancellationToken cancellationToken);

    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);
}

internal sealed record DurableSummaryView(string Store, long Scheduled, long Queued, long Running, long Retrying, long Succeeded, long Dead,
    IReadOnlyList<DeadTaskView> RecentDead);

internal sealed record DeadTaskView(string Id, string Name, int Attempts, string? LastError, DateTimeOffset At);

internal sealed record DurableTaskView(string Id, string Name, string State, int Attempts, DateTimeOffset EnqueuedAt, DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt, string? LastError, string? Instance, IReadOnlyList<DurableRunView> Runs);

/// <summary>One run of a durable task: the instance that claimed it, and when.</summary>
internal sealed record DurableRunView(string Instance, DateTimeOffset StartedAt);
