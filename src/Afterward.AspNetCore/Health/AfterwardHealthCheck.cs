using Afterward.Tasks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Afterward.AspNetCore.Health;

/// <summary>
/// Whether the host's background work is keeping up: Unhealthy when tasks wait and no worker made progress for
/// <see cref="AfterwardHealthCheckOptions.StalledAfter"/>; Degraded when the queue is nearly full, a task runs past
/// <see cref="BackgroundTaskOptions.LongTaskWarning"/>, OTLP export is failing, or (with durable tasks) the backlog
/// or the dead count is over its threshold. The figures are in the result's data for <c>/health</c> UIs.
/// </summary>
internal sealed class AfterwardHealthCheck(Application application, BackgroundTaskRunner runner, AfterwardHealthCheckOptions options,
    IDurableTaskSource? durable = null) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            BackgroundTaskCounters tasks = application.TaskCounters;
            TimeSpan longest = runner.LongestRunning();
            var data = new Dictionary<string, object>
            {
                ["queued"] = tasks.Queued,
                ["running"] = tasks.Running,
                ["completed"] = tasks.Completed,
                ["failed"] = tasks.Failed,
                ["abandoned"] = tasks.Abandoned,
                ["queueCapacity"] = runner.QueueCapacity,
                ["longestRunningSeconds"] = Math.Round(longest.TotalSeconds, 3),
            };
            var degraded = new List<string>();

            TimeSpan sinceProgress = TimeSpan.FromMilliseconds(Environment.TickCount64 - runner.Counters.LastProgress);
            if (tasks.Queued > 0 && sinceProgress > options.StalledAfter)
            {
                return HealthCheckResult.Unhealthy(
                    $"{tasks.Queued} background task(s) wait and no worker has made progress for {sinceProgress:g} (over {options.StalledAfter:g}).", data: data);
            }

            if (runner.QueuedLists > options.QueueShareDegraded * runner.QueueCapacity)
            {
                degraded.Add($"the task queue holds {runner.QueuedLists} of {runner.QueueCapacity} lists");
            }

            if (longest > application.Options.BackgroundTasks.LongTaskWarning)
            {
                degraded.Add($"a task has been running for {longest:g}");
            }

            OtlpExportStatus export = application.Export;
            if (export.Enabled && export.LastErrorAt is { } failedAt && application.Time.GetUtcNow() - failedAt < options.ExportFailureWindow)
            {
                data["exportLastError"] = export.LastError ?? "?";
                degraded.Add("OTLP export is failing (" + export.LastError + ")");
            }

            if (durable is not null)
            {
                DurableSummaryView store = await durable.SummaryAsync(cancellationToken).ConfigureAwait(false);
                long backlog = store.Queued + store.Retrying + store.Scheduled;
                data["durableStore"] = store.Store;
                data["durableBacklog"] = backlog;
                data["durableRunning"] = store.Running;
                data["dead"] = store.Dead;
                if (backlog > options.DurableBacklogDegraded)
                {
                    degraded.Add($"{backlog} durable tasks wait (over {options.DurableBacklogDegraded})");
                }

                if (store.Dead >= options.DurableDeadDegraded)
                {
                    degraded.Add($"{store.Dead} durable task(s) are dead");
                }
            }

            return degraded.Count == 0
                ? HealthCheckResult.Healthy("Background work is keeping up.", data)
                : HealthCheckResult.Degraded(string.Join("; ", degraded) + ".", data: data);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The store is unreachable, for instance: say so rather than throw from the health endpoint.
            return HealthCheckResult.Unhealthy("Afterward could not read its state: " + ex.Message, ex);
        }
    }
}
