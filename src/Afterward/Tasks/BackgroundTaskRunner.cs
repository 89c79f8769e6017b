using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Afterward.Transactions;
using Microsoft.Extensions.DependencyInjection;

namespace Afterward.Tasks;

/// <summary>
/// The in-memory dispatcher: a bounded queue of task lists (writers wait when it is full) and
/// <see cref="BackgroundTaskOptions.MaxConcurrency"/> workers, each running one list at a time, its tasks in order,
/// in a fresh DI scope. An idle worker holds no thread and waits on nothing: queuing a list hands an idle worker to
/// the thread pool as a work item (on the queuing thread's own queue, so that a trivial task usually runs on the
/// thread that just sent the response, without waking another), and a worker runs lists until the queue is empty.
/// Stopping drains the queue until the host's deadline, then cancels and reports what is left as abandoned. Running
/// a task is <see cref="TaskExecution"/>'s; counting and logging is <see cref="TaskAccounting"/>'s.
/// </summary>
internal sealed class BackgroundTaskRunner : ITaskDispatcher, IAsyncDisposable
{
    internal const string MemoryBackend = "memory";

    private static readonly TimeSpan CancellationGrace = TimeSpan.FromMilliseconds(250);

    private readonly Application _application;
    private readonly IServiceScopeFactory _scopes;
    private readonly BackgroundTaskOptions _options;
    private readonly TimeProvider _time;
    private readonly Channel<TaskBatch> _queue;
    private readonly CancellationTokenSource _abandon = new();
    private readonly WorkerSlot[] _slots;
    /// <summary>The workers not running (a stack under <see cref="_idleGate"/>); all of them once the queue is drained.</summary>
    private readonly Worker[] _idle;
    private readonly Lock _idleGate = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskAccounting _accounting;
    private readonly TaskExecution _execution;
    private readonly ConcurrentQueue<string> _abandonedNames = new();
    private ITimer? _longTaskMonitor;
    private int _idleCount;
    private int _started;
    private int _stopped;

    public BackgroundTaskRunner(Application application, IServiceScopeFactory scopes)
    {
        _application = application;
        _scopes = scopes;
        _options = application.Options.BackgroundTasks;
        _time = application.Time;
        _queue = Channel.CreateBounded<TaskBatch>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
        _slots = new WorkerSlot[_options.MaxConcurrency];
        _idle = new Worker[_options.MaxConcurrency];
        _accounting = new TaskAccounting(application, application.TaskCells);
        _execution = new TaskExecution(_options, _time, _accounting, _abandon.Token);
    }

    public string Backend => MemoryBackend;

    public Application Application => _application;

    public TaskCounterCells Counters => _accounting.Counters;

    internal TaskAccounting Accounting => _accounting;

    /// <summary>How many items the queue holds at most (<see cref="BackgroundTaskOptions.QueueCapacity"/>, in task lists).</summary>
    public int QueueCapacity => _options.QueueCapacity;

    /// <summary>How long the longest-running task has been running; zero when none runs.</summary>
    public TimeSpan LongestRunning()
    {
        long now = _time.GetTimestamp();
        TimeSpan longest = TimeSpan.Zero;
        foreach (WorkerSlot? slot in _slots)
        {
            if (slot?.RunningSince() is { } since && _time.GetElapsedTime(since, now) is var elapsed && elapsed > longest)
            {
                longest = elapsed;
            }
        }

        return longest;
    }

    /// <summary>Task lists waiting in the queue now.</summary>
    public int QueuedLists => _queue.Reader.CanCount ? _queue.Reader.Count : 0;

    internal TaskExecution Execution => _execution;

    /// <summary>Starts the workers and the long-task monitor; idempotent.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0 || Volatile.Read(ref _stopped) != 0)
        {
            return;
        }

        // Workers must not inherit the execution context of whoever started the runner (a request, a transaction):
        // they are queued as work items without one, and the timer starts with flow suppressed.
        using (ExecutionContext.SuppressFlow())
        {
            lock (_idleGate)
            {
                for (int i = 0; i < _slots.Length; i++)
                {
                    _idle[_idleCount++] = new Worker(this, _slots[i] = new WorkerSlot());
                }
            }

            // Lists queued before the start (during the host's start-up) wait for this.
            for (int i = Math.Min(QueuedLists, _slots.Length); i > 0; i--)
            {
                WakeWorker();
            }

            TimeSpan period = TimeSpan.FromTicks(Math.Clamp(_options.LongTaskWarning.Ticks / 4, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond));
            _longTaskMonitor = _time.CreateTimer(static s => ((BackgroundTaskRunner)s!).WarnLongTasks(), this, period, period);
        }
    }

    /// <summary>Queues a request's tasks; waits for room when the queue is full (backpressure).</summary>
    public ValueTask DispatchAsync(TaskBatch batch)
    {
        Counters.AddQueued(batch.Items.Count);
        batch.EnqueuedTimestamp = _time.GetTimestamp();
        if (!_queue.Writer.TryWrite(batch))
        {
            return EnqueueSlowAsync(batch);
        }

        WakeWorker();
        return default;
    }

    /// <summary>Queues a request's tasks (the middleware's hand-off after the response).</summary>
    public ValueTask EnqueueAsync(List<TaskItem> items, ActivityContext link, string traceId) =>
        DispatchAsync(new TaskBatch(items, link, traceId));

    /// <summary>Records tasks that will not run because their handler failed.</summary>
    public void Skip(TaskBatch batch, string transactionName) => _accounting.Skipped(batch.Items, transactionName);

    /// <summary>
    /// Stops accepting work and waits for queued and running tasks until <paramref name="deadline"/> fires; then
    /// cancels their tokens, waits a short grace, and logs what is left as abandoned by name and count.
    /// </summary>
    public async Task<ShutdownReport> StopAsync(CancellationToken deadline)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return new ShutdownReport(Backend, 0, 0);
        }

        _queue.Writer.TryComplete();
        long pending = Counters.Queued + Counters.Running;
        if (pending > 0)
        {
            _accounting.Draining(pending);
        }

        int abandoned = 0;
        SignalIfDrained();
        Task all = _drained.Task;
        try
        {
            await all.WaitAsync(deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await _abandon.CancelAsync().ConfigureAwait(false);
            while (_queue.Reader.TryRead(out TaskBatch? batch))
            {
                Counters.AbandonedQueued(batch.Items.Count);
                _accounting.Abandoned(batch.Items.Count);
                foreach (TaskItem item in batch.Items)
                {
                    _abandonedNames.Enqueue(item.Identity.Name);
                }
            }

            SignalIfDrained();
            try
            {
                await all.WaitAsync(CancellationGrace, _time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Tasks that ignore their token keep running; they are reported below and the host goes on stopping.
            }

            foreach (WorkerSlot? slot in _slots)
            {
                if (slot is null)
                {
                    continue;
                }

                (int running, int queued) = slot.Report(_abandonedNames);
                for (int i = 0; i < running; i++)
                {
                    Counters.AbandonedRunning();
                }

                Counters.AbandonedQueued(queued);
                _accounting.Abandoned(running + queued);
            }

            string[] names = [.. _abandonedNames];
            abandoned = names.Length;
            _accounting.ReportAbandoned(names);
        }
        finally
        {
            _longTaskMonitor?.Dispose();
        }

        return new ShutdownReport(Backend, abandoned, 0);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        _abandon.Dispose();
    }

    private async ValueTask EnqueueSlowAsync(TaskBatch batch)
    {
        try
        {
            await _queue.Writer.WriteAsync(batch).ConfigureAwait(false);
            WakeWorker();
        }
        catch (ChannelClosedException)
        {
            // Scheduled after shutdown began: it can never run; say so rather than drop it silently.
            Counters.AbandonedQueued(batch.Items.Count);
            _accounting.Abandoned(batch.Items.Count);
            _accounting.ReportAbandoned([.. batch.Items.Select(static i => i.Identity.Name)]);
        }
    }

    /// <summary>For tests: runs when a worker found the queue empty, just before it goes idle.</summary>
    internal Action? BeforeIdle { get; set; }

    /// <summary>Hands an idle worker to the thread pool, if one is idle; a running worker finds the list anyway.</summary>
    private void WakeWorker()
    {
        // The list was queued before this read, and a worker goes idle before it looks at the queue again (see
        // DrainAsync): one of the two sees the other, so a queued list never waits for a worker that stays idle.
        if (Volatile.Read(ref _idleCount) == 0)
        {
            return;
        }

        Worker worker;
        lock (_idleGate)
        {
            if (_idleCount == 0)
            {
                return;
            }

            worker = _idle[--_idleCount];
        }

        ThreadPool.UnsafeQueueUserWorkItem(worker, preferLocal: true);
    }

    /// <summary>Runs queued lists until the queue is empty, then goes idle.</summary>
    private async Task DrainAsync(Worker worker)
    {
        ChannelReader<TaskBatch> reader = _queue.Reader;
        while (reader.TryRead(out TaskBatch? batch))
        {
            try
            {
                await RunBatchAsync(batch, worker.Slot).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Only the agent's own faults reach here: a task's exception is handled per task.
                _accounting.Fault("running background tasks", ex);
            }
        }

        BeforeIdle?.Invoke();
        lock (_idleGate)
        {
            _idle[_idleCount++] = worker;
        }

        // A list queued after the last read may have found no idle worker: look again now that this one is idle.
        if (reader.TryPeek(out _))
        {
            WakeWorker();
        }

        SignalIfDrained();
    }

    /// <summary>Once stopping, completes the drain when every worker is idle and the queue is empty.</summary>
    private void SignalIfDrained()
    {
        if (Volatile.Read(ref _stopped) == 0)
        {
            return;
        }

        bool drained;
        lock (_idleGate)
        {
            drained = _idleCount == _idle.Length && !_queue.Reader.TryPeek(out _);
        }

        if (drained || Volatile.Read(ref _started) == 0)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>A worker as a thread-pool work item: made once per worker, so waking one allocates nothing.</summary>
    private sealed class Worker(BackgroundTaskRunner runner, WorkerSlot slot) : IThreadPoolWorkItem
    {
        public WorkerSlot Slot => slot;

        public void Execute() => _ = runner.DrainAsync(this);
    }

    private async Task RunBatchAsync(TaskBatch batch, WorkerSlot slot)
    {
        var scope = new LazyScope(_scopes);
        slot.BeginBatch(batch.Items);
        try
        {
            while (!_abandon.IsCancellationRequested && slot.TryTakeNext(out TaskItem item, out _))
            {
                await RunTaskAsync(item, batch, scope, slot).ConfigureAwait(false);
            }

            if (_abandon.IsCancellationRequested)
            {
                // The deadline passed while this list was running: the rest never starts.
                int rest = slot.AbandonRest(_abandonedNames);
                Counters.AbandonedQueued(rest);
                _accounting.Abandoned(rest);
            }
        }
        finally
        {
            slot.EndBatch();
            await DisposeScopeAsync(scope, batch, slot).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Disposes the list's scope, bounded by <see cref="BackgroundTaskOptions.LongTaskWarning"/>: a service whose
    /// disposal hangs is reported and left behind rather than holding the worker for ever.
    /// </summary>
    private async Task DisposeScopeAsync(LazyScope scope, TaskBatch batch, WorkerSlot slot)
    {
        if (!scope.Created)
        {
            return;
        }

        slot.BeginDisposal(batch.Items.Count == 1 ? batch.Items[0].Identity.Name : batch.Items.Count + " tasks", _time.GetTimestamp());
        try
        {
            await scope.DisposeAsync().AsTask().WaitAsync(_options.LongTaskWarning, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _accounting.ScopeDisposalHung(TaskAccounting.Names(batch.Items), _options.LongTaskWarning);
        }
        catch (Exception ex)
        {
            _accounting.ScopeDisposalFailed(TaskAccounting.Names(batch.Items), ex);
        }
        finally
        {
            slot.EndDisposal();
        }
    }

    private async Task RunTaskAsync(TaskItem item, TaskBatch batch, IServiceProvider services, WorkerSlot slot)
    {
        TaskIdentity identity = item.Identity;
        Counters.Started();
        Transaction transaction = (identity.Application ?? _application).StartTransaction(
            TransactionKind.Background, identity.Name, identity.Group, link: batch.Link);
        // The transaction's start is the task's: one clock read for both when they share a clock.
        long started = ReferenceEquals(transaction.Application.Time, _time) ? transaction.StartTimestamp : _time.GetTimestamp();
        transaction.QueueWait = _time.GetElapsedTime(batch.EnqueuedTimestamp, started);

        // A running task may schedule follow-ups: they run after the rest of its list, on this worker (never back
        // through the bounded queue, which a worker could not wait on without risking a deadlock).
        transaction.AcceptTasks();
        TransactionScope scope = TransactionScope.Owner(transaction);
        slot.BeginTask(transaction.Name, started);
        try
        {
            await _execution.RunAsync(item, services).ConfigureAwait(false);
            if (slot.EndTask())
            {
                _accounting.Completed();
            }

            if (transaction.TakeTasks() is { } followUps)
            {
                AppendFollowUps(followUps, batch, slot);
            }
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            transaction.NoticeError(null);
            if (transaction.TakeTasks() is { } followUps)
            {
                Counters.AddQueued(followUps.Count);
                Counters.AbandonedQueued(followUps.Count);
                _accounting.Abandoned(followUps.Count);
                foreach (TaskItem followUp in followUps)
                {
                    _abandonedNames.Enqueue(followUp.Identity.Name);
                }
            }

            if (slot.AbandonCurrent(_abandonedNames))
            {
                Counters.AbandonedRunning();
                _accounting.Abandoned(1);
            }
        }
        catch (Exception ex)
        {
            transaction.NoticeError(ex);
            if (transaction.TakeTasks() is { } followUps)
            {
                // Like a handler that throws after AddTask: the follow-ups of a failed task do not run.
                _accounting.Skipped(followUps, transaction.Name);
            }

            if (slot.EndTask())
            {
                _accounting.Failed(transaction.Name, batch.TraceId, ex, _time.GetUtcNow());
            }
        }
        finally
        {
            scope.Dispose();
        }
    }

    /// <summary>In-memory follow-ups join the list; those another backend stored (durable tasks) go to it now.</summary>
    private void AppendFollowUps(List<TaskItem> followUps, TaskBatch batch, WorkerSlot slot)
    {
        List<TaskItem>? local = null;
        foreach (TaskItem item in followUps)
        {
            if (item.Backend is { } backend)
            {
                _ = backend.DispatchAsync(batch.Share([item]));
            }
            else
            {
                (local ??= []).Add(item);
            }
        }

        if (local is not null)
        {
            Counters.AddQueued(local.Count);
            slot.Append(local);
        }
    }

    private void WarnLongTasks()
    {
        try
        {
            long now = _time.GetTimestamp();
            foreach (WorkerSlot? slot in _slots)
            {
                if (slot?.ShouldWarn(now, _options.LongTaskWarning, _time) is { } name)
                {
                    _accounting.LongRunning(name, _options.LongTaskWarning);
                }
            }
        }
        catch (Exception ex)
        {
            // A timer callback that throws would take the process down.
            _accounting.Fault("checking for long-running tasks", ex);
        }
    }
}
