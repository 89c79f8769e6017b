using System.Threading.Channels;
using Afterward.Durable.Storage;
using Microsoft.Extensions.Logging;

namespace Afterward.Durable.Runtime;

/// <summary>
/// Stores runs' outcomes in batches: one loop takes every outcome waiting and writes them with one store call (one
/// round trip and one commit), so the commit cost is shared by every run that finished meanwhile and a worker never
/// waits for its own commit before starting the next task. Each outcome's result is reported through the callback,
/// on this loop, once its batch is stored. While the store is down, a batch is retried; an outcome is given up once
/// its lease would have expired anyway (the rescuer then runs the task again: at least once).
/// </summary>
/// <typeparam name="TState">What the callback needs to know which run an outcome was (the runner's run).</typeparam>
internal sealed class CompletionBatcher<TState> : IAsyncDisposable
{
    private const int MaxBatch = 512;
    private static readonly TimeSpan StoreRetry = TimeSpan.FromSeconds(1);

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IDurableStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _giveUpAfter;
    private readonly ILogger _logger;
    private readonly Action<TState, bool?> _stored;
    private readonly Task _loop;

    /// <summary>
    /// <paramref name="stored"/> is called once per outcome: true once it is stored, false when the lease no longer
    /// matched (fenced: another run took the task over), null when the store stayed down until the lease expired
    /// (<paramref name="giveUpAfter"/>) or the batcher had stopped.
    /// </summary>
    public CompletionBatcher(IDurableStore store, TimeProvider time, TimeSpan giveUpAfter, ILogger logger, Action<TState, bool?> stored)
    {
        _store = store;
        _time = time;
        _giveUpAfter = giveUpAfter;
        _logger = logger;
        _stored = stored;
        using (ExecutionContext.SuppressFlow())
        {
            _loop = Task.Run(RunAsync);
        }
    }

    /// <summary>Queues an outcome for the next batch.</summary>
    public void Store(Completion completion, TState state)
    {
        var pending = new Pending(completion, state, Now() + (long)_giveUpAfter.TotalMilliseconds);
        if (!_queue.Writer.TryWrite(pending))
        {
            Report(pending, null); // stopped: the lease expires and the task runs again
        }
    }

    /// <summary>Stores what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private void Report(Pending pending, bool? applied)
    {
        try
        {
            _stored(pending.State, applied);
        }
        catch (Exception)
        {
            // The runner's bookkeeping never throws by design; if it did, the next outcomes must still be stored.
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        var completions = new List<Completion>(MaxBatch);
        ChannelReader<Pending> reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out Pending pending))
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
                        Report(batch[i], applied[i]);
                    }

                    break;
                }
                catch (Exception ex)
                {
                    DurableTaskRunner.Safely(() => DurableLog.StoreFailed(_logger, "storing tasks' outcomes", StoreRetry, ex));
                    long now = Now();
                    batch.RemoveAll(p =>
                    {
                        if (p.GiveUpAt > now)
                        {
                            return false;
                        }

                        Report(p, null);
                        return true;
                    });
                    if (batch.Count > 0)
                    {
                        await Task.Delay(StoreRetry, _time).ConfigureAwait(false);
                    }
                }
            }
        }
    }

    private readonly record struct Pending(Completion Completion, TState State, long GiveUpAt);
}
