using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Afterward.Transactions;
using Microsoft.Extensions.DependencyInjection;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Afterward.Tasks;

/// <summary>
/// Runs task lists after their responses: a bounded queue (writers wait when it is full), and
/// <see cref="BackgroundTaskOptions.MaxConcurrency"/> workers, each running one list at a time, its tasks in order,
/// in a fresh DI scope. Stopping drains the queue until the host's deadline, then cancels and reports what is left.
/// </summary>
internal sealed class BackgroundTaskRunner : IAsyncDisposable
{
    private static readonly TimeSpan CancellationGrace = TimeSpan.FromMilliseconds(250);

    private readonly Application _application;
    private readonly IServiceScopeFactory _scopes;
    private readonly BackgroundTaskOptions _options;
    private readonly Channel<TaskBatch> _queue;
    private readonly CancellationTokenSource _abandon = new();
    private readonly WorkerSlot[] _slots;
    private readonly Task[] _workers;
    private readonly ConcurrentDictionary<(int, long, long), ResiliencePipeline> _pipelines = new();
    private readonly ITimer _longTaskMonitor;
    private readonly ConcurrentQueue<string> _abandonedNames = new();
    private int _stopped;

    public BackgroundTaskRunner(Application application, IServiceScopeFactory scopes)
    {
        _application = application;
        _scopes = scopes;
        _options = application.Options.BackgroundTasks;
        _queue = Channel.CreateBounded<TaskBatch>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
        _slots = new WorkerSlot[_options.MaxConcurrency];
        _workers = new Task[_options.MaxConcurrency];

        // Workers must not inherit the execution context of whoever created the runner (a request, a transaction).
        using (ExecutionContext.SuppressFlow())
        {
            for (int i = 0; i < _workers.Length; i++)
            {
                var slot = _slots[i] = new WorkerSlot();
                _workers[i] = Task.Run(() => WorkAsync(slot));
            }

            TimeSpan period = TimeSpan.FromTicks(Math.Clamp(_options.LongTaskWarning.Ticks / 4, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond));
            _longTaskMonitor = application.Time.CreateTimer(static s => ((BackgroundTaskRunner)s!).WarnLongTasks(), this, period, period);
        }
    }

    public Application Application => _application;

    /// <summary>Queues a request's tasks; waits for room when the queue is full (backpressure).</summary>
    public ValueTask EnqueueAsync(List<TaskItem> items, ActivityContext link, string traceId)
    {
        var batch = new TaskBatch(items, link, traceId, _application.Time.GetTimestamp());
        _application.TaskCounters.AddQueued(items.Count);
        return _queue.Writer.TryWrite(batch) ? default : EnqueueSlowAsync(batch);
    }

    private async ValueTask EnqueueSlowAsync(TaskBatch batch)
    {
        try
        {
            await _queue.Writer.WriteAsync(batch).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // Scheduled after shutdown began: it can never run; say so rather than drop it silently.
            _application.TaskCounters.AbandonedQueued(batch.Items.Count);
            TaskLog.TasksAbandoned(_application.Logger, batch.Items.Count, string.Join(", ", batch.Items.Select(static i => i.Identity.Name)));
        }
    }

    /// <summary>Records tasks that will not run because their handler failed.</summary>
    public void Skip(List<TaskItem> items, string transactionName)
    {
        _application.TaskCounters.AddSkipped(items.Count);
        CountOutcome("skipped", items.Count);
        TaskLog.TasksSkipped(_application.Logger, transactionName, items.Count, string.Join(", ", items.Select(static i => i.Identity.Name)));
    }

    /// <summary>
    /// Stops accepting work and waits for queued and running tasks until <paramref name="deadline"/> fires; then
    /// cancels their tokens, waits a short grace, and logs what is left as abandoned by name and count.
    /// </summary>
    public async Task StopAsync(CancellationToken deadline)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        long pending = _application.TaskCounters.Queued + _application.TaskCounters.Running;
        if (pending > 0)
        {
            TaskLog.Draining(_application.Logger, pending);
        }

        Task all = Task.WhenAll(_workers);
        try
        {
            await all.WaitAsync(deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await _abandon.CancelAsync().ConfigureAwait(false);
            while (_queue.Reader.TryRead(out TaskBatch? batch))
            {
                _application.TaskCounters.AbandonedQueued(batch.Items.Count);
                foreach (TaskItem item in batch.Items)
                {
                    _abandonedNames.Enqueue(item.Identity.Name);
                }
            }

            try
            {
                await all.WaitAsync(CancellationGrace, _application.Time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Tasks that ignore their token keep running; they are reported below and the host goes on stopping.
            }

            foreach (WorkerSlot slot in _slots)
            {
                (int running, int queued) = slot.Report(_abandonedNames);
                for (int i = 0; i < running; i++)
                {
                    _application.TaskCounters.AbandonedRunning();
                }

                _application.TaskCounters.AbandonedQueued(queued);
                CountOutcome("abandoned", running + queued);
            }

            ReportAbandoned([.. _abandonedNames]);
        }
        finally
        {
            _longTaskMonitor.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        _abandon.Dispose();
    }

    private async Task WorkAsync(WorkerSlot slot)
    {
        ChannelReader<TaskBatch> reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out TaskBatch? batch))
            {
                try
                {
                    await RunBatchAsync(batch, slot).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // Only the agent's own faults reach here: a task's exception is handled per task.
                    Log.AgentFault(_application.Logger, "running background tasks", ex);
                }
            }
        }
    }

    private async Task RunBatchAsync(TaskBatch batch, WorkerSlot slot)
    {
        AsyncServiceScope scope = _scopes.CreateAsyncScope();
        slot.BeginBatch(batch.Items);
        try
        {
            List<TaskItem> items = batch.Items;
            for (int i = 0; i < items.Count; i++)
            {
                if (_abandon.IsCancellationRequested)
                {
                    // The deadline passed while this list was running: the rest never starts.
                    int rest = slot.AbandonRest(_abandonedNames);
                    _application.TaskCounters.AbandonedQueued(rest);
                    CountOutcome("abandoned", rest);
                    return;
                }

                await RunTaskAsync(items[i], i, batch, scope.ServiceProvider, slot).ConfigureAwait(false);
            }
        }
        finally
        {
            slot.EndBatch();
            await scope.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task RunTaskAsync(TaskItem item, int index, TaskBatch batch, IServiceProvider services, WorkerSlot slot)
    {
        BackgroundTaskCounters counters = _application.TaskCounters;
        TaskIdentity identity = item.Identity;
        counters.Started();
        TimeProvider time = _application.Time;
        TimeSpan queueWait = time.GetElapsedTime(batch.EnqueuedTimestamp);
        Transaction transaction = (identity.Application ?? _application).StartTransaction(
            TransactionKind.Background, identity.Name, identity.Group, link: batch.Link);
        transaction.QueueWait = queueWait;

        // A running task may schedule follow-ups: they run after the rest of its list, on this worker (never back
        // through the bounded queue, which a worker could not wait on without risking a deadlock).
        transaction.AcceptTasks();
        TransactionScope scope = TransactionScope.Owner(transaction);
        slot.BeginTask(index, transaction.Name, time.GetTimestamp());
        try
        {
            ResiliencePipeline? pipeline = PipelineFor(item);
            if (pipeline is null)
            {
                await item.Invoke(services, _abandon.Token).ConfigureAwait(false);
            }
            else
            {
                await pipeline.ExecuteAsync(
                    static (state, token) => state.Item.Invoke(state.Services, token),
                    (Item: item, Services: services),
                    _abandon.Token).ConfigureAwait(false);
            }

            if (slot.EndTask())
            {
                counters.Completed1();
                CountOutcome("completed", 1);
            }

            if (transaction.TakeTasks() is { } followUps)
            {
                counters.AddQueued(followUps.Count);
                slot.Append(batch.Items, followUps);
            }
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            transaction.NoticeError(null);
            if (transaction.TakeTasks() is { } followUps)
            {
                counters.AddQueued(followUps.Count);
                counters.AbandonedQueued(followUps.Count);
                CountOutcome("abandoned", followUps.Count);
                foreach (TaskItem followUp in followUps)
                {
                    _abandonedNames.Enqueue(followUp.Identity.Name);
                }
            }

            if (slot.AbandonCurrent(_abandonedNames))
            {
                counters.AbandonedRunning();
                CountOutcome("abandoned", 1);
            }
        }
        catch (Exception ex)
        {
            transaction.NoticeError(ex);
            TaskLog.TaskFailed(_application.Logger, transaction.Name, batch.TraceId, ex);
            if (transaction.TakeTasks() is { } followUps)
            {
                // Like a handler that throws after AddTask: the follow-ups of a failed task do not run.
                Skip(followUps, transaction.Name);
            }

            if (slot.EndTask())
            {
                counters.Failed1(new TaskFailure(transaction.Name, ex.GetType().FullName ?? ex.GetType().Name, ex.Message, time.GetUtcNow()));
                CountOutcome("failed", 1);
            }
        }
        finally
        {
            scope.Dispose();
        }
    }

    private ResiliencePipeline? PipelineFor(TaskItem item)
    {
        int retries = item.MaxRetries ?? _options.MaxRetries;
        TimeSpan? timeout = item.Timeout ?? _options.Timeout;
        if (retries == 0 && timeout is null)
        {
            return null;
        }

        TimeSpan delay = item.RetryDelay ?? _options.RetryDelay;
        return _pipelines.GetOrAdd((retries, delay.Ticks, timeout?.Ticks ?? 0), static (key, runner) => runner.BuildPipeline(key.Item1, TimeSpan.FromTicks(key.Item2), key.Item3), this);
    }

    private ResiliencePipeline BuildPipeline(int retries, TimeSpan delay, long timeoutTicks)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = _application.Time };
        if (retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = retries,
                Delay = delay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !_abandon.IsCancellationRequested),
                OnRetry = args =>
                {
                    _application.TaskCounters.Retry();
                    CountOutcome("retried", 1);
                    TaskLog.TaskRetrying(_application.Logger, Agent.CurrentTransaction?.Name ?? "?", args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception);
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

    private void WarnLongTasks()
    {
        long now = _application.Time.GetTimestamp();
        foreach (WorkerSlot slot in _slots)
        {
            if (slot.ShouldWarn(now, _options.LongTaskWarning, _application.Time) is { } name)
            {
                TaskLog.LongRunningTask(_application.Logger, name, _options.LongTaskWarning);
            }
        }
    }

    private void ReportAbandoned(string[] names)
    {
        if (names.Length > 0)
        {
            TaskLog.TasksAbandoned(_application.Logger, names.Length, string.Join(", ", names));
        }
    }

    private void CountOutcome(string outcome, long count)
    {
        if (AfterwardDiagnostics.Tasks.Enabled)
        {
            AfterwardDiagnostics.Tasks.Add(count,
                new KeyValuePair<string, object?>(AfterwardDiagnostics.OutcomeTag, outcome),
                new KeyValuePair<string, object?>(AfterwardDiagnostics.AppTag, _application.Name));
        }
    }
}
