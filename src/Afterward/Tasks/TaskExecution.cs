using System.Collections.Concurrent;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Afterward.Tasks;

/// <summary>
/// Runs one in-memory task's attempts: its invoker through a Polly pipeline when it has retries or a timeout.
/// Pipelines are shared per (retries, delay, timeout), at most <see cref="MaxCachedPipelines"/> of them; past
/// that, a task's pipeline is built for it alone, so that distinct per-task settings cannot grow memory.
/// </summary>
internal sealed class TaskExecution(BackgroundTaskOptions options, TimeProvider time, TaskAccounting accounting, CancellationToken abandon)
{
    internal const int MaxCachedPipelines = 64;

    private readonly ConcurrentDictionary<(int Retries, long Delay, long Timeout), ResiliencePipeline> _pipelines = new();

    public int CachedPipelines => _pipelines.Count;

    public ValueTask RunAsync(TaskItem item, IServiceProvider services)
    {
        ResiliencePipeline? pipeline = PipelineFor(item);
        return pipeline is null
            ? item.Invoke(services, abandon)
            : pipeline.ExecuteAsync(static (state, token) => state.Item.Invoke(state.Services, token), (Item: item, Services: services), abandon);
    }

    private ResiliencePipeline? PipelineFor(TaskItem item)
    {
        int retries = item.MaxRetries ?? options.MaxRetries;
        TimeSpan? timeout = item.Timeout ?? options.Timeout;
        if (retries == 0 && timeout is null)
        {
            return null;
        }

        var key = (retries, (item.RetryDelay ?? options.RetryDelay).Ticks, timeout?.Ticks ?? 0);
        if (_pipelines.TryGetValue(key, out ResiliencePipeline? pipeline))
        {
            return pipeline;
        }

        pipeline = Build(key.retries, TimeSpan.FromTicks(key.Item2), key.Item3);
        return _pipelines.Count < MaxCachedPipelines ? _pipelines.GetOrAdd(key, pipeline) : pipeline;
    }

    private ResiliencePipeline Build(int retries, TimeSpan delay, long timeoutTicks)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = retries,
                Delay = delay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !abandon.IsCancellationRequested),
                OnRetry = args =>
                {
                    accounting.Retrying(Agent.CurrentTransaction?.Name ?? "?", args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception);
                    return default;
                },
            });
        }

        if (timeoutTicks > 0)
        {
            builder.AddTimeout(new TimeoutStrategyOptions { Timeout = TimeSpan.FromTicks(timeoutTicks) });
        }

        return builder.Build();
    }
}
