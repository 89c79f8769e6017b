using System.Threading.Channels;
using Afterward.Durable.Storage;
using Microsoft.Extensions.Logging;

namespace Afterward.Durable.Runtime;

/// <summary>
/// Stores runs' outcomes in batches: one loop takes every outcome waiting and writes them with one store call (one
/// round trip and one commit), so the commit cost is shared by every run that finished meanwhile and a worker never
/// waits for its own commit before starting the next task. While the store is down, a batch is retried; an outcome
/// is given up once its lease would have expired anyway (the rescuer then runs the task again: at least once).
/// </summary>
internal sealed class CompletionBatcher : IAsyncDisposable
{
    private const int MaxBatch = 512;
    private static readonly TimeSpan StoreRetry = TimeSpan.FromSeconds(1);

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IDurableStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _giveUpAfter;
    private readonly ILogger _logger;
    private readonly Task _loop;

    public CompletionBatcher(IDurableStore store, TimeProvider time, TimeSpan giveUpAfter, ILogger logger)
    {
        _store = store;
        _time = time;
        _giveUpAfter = giveUpAfter;
        _logger = logger;
        using (ExecutionContext.SuppressFlow())
        {
            _loop = Task.Run(RunAsync);
        }
    }

    /// <summary>
    /// Queues an outcome; the task completes with true once it is stored, false when the lease no longer matched
    /// (fenced: another run took the task over), and null when the store stayed down until the lease expired.
    /// </summary>
    public Task<bool?> StoreAsync(Completion completion)
    {
        var pending = new Pending(completion, Now() + (long)_giveUpAfter.TotalMilliseconds);
        if (!_queue.Writer.TryWrite(pending))
        {
            pending.Result.TrySetResult(null); // stopped: the lease expires and the task runs again
        }

        return pending.Result.Task;
    }

    /// <summary>Stores what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        var completions = new List<Completion>(MaxBatch);
        ChannelReader<Pending> reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out Pending? pending))
            {
                batch.Add(pending);
            }

            while (batch.Count > 0)
            {
                completions.Clear();
                foreach (Pending pending in batch)
                {
                    completions.Add(pending.Completion);
                }

                try
                {
                    IReadOnlyList<bool> applied = await _store.CompleteAsync(completions, Now()).ConfigureAwait(false);
                    for (int i = 0; i < batch.Count; i++)
                    {
                        batch[i].Result.TrySetResult(applied[i]);
                    }

                    break;
                }
                catch (Exception ex)
                {
                    DurableTaskRunner.Safely(() => DurableLog.StoreFailed(_logger, "storing tasks' outcomes", StoreRetry, ex));
                    long now = Now();
                    batch.RemoveAll(p => p.GiveUpAt <= now && p.Result.TrySetResult(null));
                    if (batch.Count > 0)
                    {
                        await Task.Delay(StoreRetry, _time).ConfigureAwait(false);
                    }
                }
            }
        }
    }

    private sealed class Pending(Completion completion, long giveUpAt)
    {
        public Completion Completion { get; } = completion;

        public long GiveUpAt { get; } = giveUpAt;

        public TaskCompletionSource<bool?> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
