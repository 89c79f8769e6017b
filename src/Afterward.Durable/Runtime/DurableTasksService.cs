using System.Diagnostics;
using Afterward.Durable.Handlers;
using Afterward.Durable.Storage;
using Afterward.Tasks;

namespace Afterward.Durable.Runtime;

/// <summary><see cref="IDurableTasks"/> over the host's store and runner, and the dashboard's view of them.</summary>
internal sealed class DurableTasksService(DurableTaskRunner runner, DurableTasksOptions settings) : IDurableTasks, IDurableTaskSource
{
    private IDurableStore Store => runner.Store;

    private HandlerRegistry Handlers => runner.Handlers;

    public Task<string> EnqueueAsync<TPayload>(string name, TPayload payload, EnqueueOptions? options = null, CancellationToken cancellationToken = default) =>
        StoreAsync(name, payload, options, held: false, cancellationToken);

    /// <summary>
    /// Stores a task held by the current request: runnable when the response completed (released), deleted if the
    /// handler fails (discarded), and runnable by itself after <see cref="DurableTasksOptions.LeaseDuration"/> if
    /// the process dies in between.
    /// </summary>
    public Task<string> EnqueueHeldAsync<TPayload>(string name, TPayload payload, EnqueueOptions? enqueue, CancellationToken cancellationToken) =>
        StoreAsync(name, payload, enqueue, held: true, cancellationToken);

    public async Task<DurableTaskInfo?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        await runner.EnsureReadyAsync().ConfigureAwait(false);
        return await Store.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } task ? Info(task, runner.Now()) : null;
    }

    public async Task<bool> RetryAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        await runner.EnsureReadyAsync().ConfigureAwait(false);
        bool retried = await Store.RetryAsync(id, runner.Now(), cancellationToken).ConfigureAwait(false);
        if (retried)
        {
            runner.Wake();
        }

        return retried;
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        await runner.EnsureReadyAsync().ConfigureAwait(false);
        return await Store.DeleteAsync(id, cancellationToken).ConfigureAwait(false);
    }

    async Task<DurableSummaryView> IDurableTaskSource.SummaryAsync(CancellationToken cancellationToken)
    {
        DurableCounts c = await runner.CountAsync(cancellationToken).ConfigureAwait(false);
        return new DurableSummaryView(Store.Kind, c.Scheduled, c.Queued, c.Running, c.Retrying, c.Succeeded, c.Dead,
            [.. c.RecentDead.Select(static d => new DeadTaskView(d.Id, d.Name, d.Attempts, d.LastError, DateTimeOffset.FromUnixTimeMilliseconds(d.At)))]);
    }

    async Task<DurableTaskView?> IDurableTaskSource.GetAsync(string id, CancellationToken cancellationToken)
    {
        await runner.EnsureReadyAsync().ConfigureAwait(false);
        if (await Store.GetAsync(id, cancellationToken).ConfigureAwait(false) is not { } task)
        {
            return null;
        }

        DurableTaskInfo info = Info(task, runner.Now());
        return new DurableTaskView(info.Id, info.Name, info.State.ToString().ToLowerInvariant(), info.Attempts, info.EnqueuedAt, info.StartedAt,
            info.CompletedAt, info.LastError, task.LastInstance,
            [.. task.Runs.Select(static r => new DurableRunView(r.Instance, DateTimeOffset.FromUnixTimeMilliseconds(r.StartedAt)))]);
    }

    Task<bool> IDurableTaskSource.RetryAsync(string id, CancellationToken cancellationToken) => RetryAsync(id, cancellationToken);

    Task<bool> IDurableTaskSource.DeleteAsync(string id, CancellationToken cancellationToken) => DeleteAsync(id, cancellationToken);

    private async Task<string> StoreAsync<TPayload>(string name, TPayload payload, EnqueueOptions? enqueue, bool held, CancellationToken cancellationToken)
    {
        DurableHandler handler = Handlers.Require(name);
        enqueue?.Validate();
        string json = handler.Serialize(payload, payload?.GetType() ?? typeof(TPayload), Handlers.JsonOptions);
        await runner.EnsureReadyAsync().ConfigureAwait(false);
        long now = runner.Now();
        long delay = (long)(enqueue?.Delay ?? TimeSpan.Zero).TotalMilliseconds;

        // A held task is runnable by itself once the hold has passed: the crash between the call and the response loses nothing.
        long runAt = held ? now + (long)settings.LeaseDuration.TotalMilliseconds + delay : now + delay;
        var task = new NewTask(Guid.CreateVersion7().ToString("N"), name, json, enqueue?.MaxAttempts ?? settings.MaxAttempts,
            enqueue?.Timeout is { } timeout ? (long)timeout.TotalMilliseconds : null, enqueue?.Key, runAt, now, held, delay, TraceParent());
        string id = await Store.InsertAsync(task, enqueue?.Transaction, cancellationToken).ConfigureAwait(false);
        if (!held && enqueue?.Transaction is null)
        {
            runner.Wake();
        }

        return id;
    }

    private static string? TraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.Id : null;

    internal static DurableTaskInfo Info(StoredTask task, long now) => new(
        task.Id, task.Name, StoredState.Public(task.State, task.RunAt, task.Attempts, now), task.Attempts,
        DateTimeOffset.FromUnixTimeMilliseconds(task.EnqueuedAt),
        task.StartedAt is { } started ? DateTimeOffset.FromUnixTimeMilliseconds(started) : null,
        task.CompletedAt is { } completed ? DateTimeOffset.FromUnixTimeMilliseconds(completed) : null,
        task.LastError);
}
