using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Afterward.Durable.Handlers;
using Afterward.Durable.Storage;
using Afterward.Tasks;
using Afterward.Transactions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Afterward.Durable.Runtime;

/// <summary>
/// The durable dispatcher, store-agnostic: claims runnable tasks of the names this host handles in batches, runs up
/// to <see cref="DurableTasksOptions.MaxConcurrency"/> handlers (each attempt in a fresh DI scope, as a background
/// transaction <c>OtherTransaction/DurableTask/{name}</c> linked to the enqueuing request), renews their leases,
/// stores each outcome fenced by its lease token, retries failures with backoff, and rescues tasks whose process
/// died. Woken in process on enqueue, release and completion; the store is polled only as a fallback. A graceful
/// stop cancels running handlers at the host's deadline and puts their tasks back.
/// </summary>
internal sealed class DurableTaskRunner : ITaskDispatcher, IAsyncDisposable
{
    internal const string DurableBackend = "durable";
    private const int ClaimBatch = 256;
    private const int MaxPrefetch = 512;
    private static readonly long LocalQueueTicks = Stopwatch.Frequency / 10;
    private const int PurgeBatch = 1000;
    private static readonly TimeSpan StoreRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ReleaseGrace = TimeSpan.FromSeconds(5);
    private static readonly Counter<long> Attempts = AfterwardDiagnostics.Meter.CreateCounter<long>(
        "afterward.durable.attempts", "{attempt}", "Durable task runs by outcome (succeeded, failed, dead, released, lost).");

    private readonly Application _application;
    private readonly IServiceScopeFactory _scopes;
    private readonly HandlerRegistry _handlers;
    private readonly DurableTasksOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TaskAccounting _accounting;
    private readonly ConcurrentDictionary<string, Running> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _releasedNames = new();
    private readonly WakeSignal _wake = new();
    private readonly CancellationTokenSource _stopClaiming = new();
    private readonly CancellationTokenSource _cancelRuns = new();
    private readonly CancellationTokenSource _stopStarting = new();
    private readonly Channel<Running> _local = Channel.CreateUnbounded<Running>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly CompletionBatcher<Running> _completions;
    private readonly int _minPrefetch;
    private readonly Lazy<Task> _ready;
    private readonly IReadOnlyList<string> _names;
    private Task _loop = Task.CompletedTask;
    private Task[] _workers = [];
    private int _started;
    private int _stopped;
    private int _unfinished;
    private int _held;
    private int _waitingForRoom;
    private int _prefetch;
    private long _averageRunTicks;
    private DurableCounts? _lastCounts;

    public DurableTaskRunner(Application application, IServiceScopeFactory scopes, IDurableStore store, HandlerRegistry handlers, DurableTasksOptions options)
    {
        _application = application;
        _scopes = scopes;
        Store = store;
        _handlers = handlers;
        _options = options;
        _time = application.Time;
        _logger = application.Logger;
        _accounting = new TaskAccounting(application, new TaskCounterCells());
        _names = handlers.HandledNames;
        _completions = new CompletionBatcher<Running>(store, _time, options.LeaseDuration, _logger, Stored);

        // Claims are batched: tasks are claimed (leased) ahead into a local queue that the workers take from, so that one
        // claim serves many runs (as graphile-worker's local queue does). See AdjustPrefetch for its size.
        _minPrefetch = 2 * options.MaxConcurrency; // 0: this instance only enqueues
        _prefetch = _minPrefetch;
        Instance = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
        _ready = new Lazy<Task>(() => store.InitializeAsync(CancellationToken.None), LazyThreadSafetyMode.ExecutionAndPublication);
        AfterwardDiagnostics.Meter.CreateObservableGauge("afterward.durable.tasks", ObserveCounts, "{task}",
            "Durable tasks in the store by state (the last counts this instance read).");
    }

    public string Backend => DurableBackend;

    public TaskCounterCells Counters => _accounting.Counters;

    public IDurableStore Store { get; }

    /// <summary>This process's name in leases and in each task's detail (machine/pid/random).</summary>
    public string Instance { get; }

    public HandlerRegistry Handlers => _handlers;

    public Application Application => _application;

    /// <summary>Creates or migrates the store's schema once; every store call waits for it.</summary>
    public Task EnsureReadyAsync() => _ready.Value;

    public long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Something became runnable in this process: claim now rather than at the next poll.</summary>
    public void Wake() => _wake.Set();

    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        using (ExecutionContext.SuppressFlow())
        {
            _loop = Task.Run(RunAsync);
            if (_names.Count > 0 && _minPrefetch > 0)
            {
                _workers = [.. Enumerable.Range(0, _options.MaxConcurrency).Select(_ => Task.Run(WorkAsync))];
            }
        }
    }

    /// <summary>The response completed: the request's held tasks become runnable (not awaited: OnCompleted must not wait on the store).</summary>
    public ValueTask DispatchAsync(TaskBatch batch)
    {
        string[] ids = Ids(batch);
        _ = ReleaseAsync(ids);
        return default;
    }

    /// <summary>The handler failed: its held tasks are deleted with a warning.</summary>
    public void Skip(TaskBatch batch, string transactionName)
    {
        string[] ids = Ids(batch);
        string names = TaskAccounting.Names(batch.Items);
        _ = DiscardAsync(ids, transactionName, names);
    }

    public async Task<ShutdownReport> StopAsync(CancellationToken deadline)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return new ShutdownReport(Backend, 0, 0);
        }

        await _stopClaiming.CancelAsync().ConfigureAwait(false);
        await _stopStarting.CancelAsync().ConfigureAwait(false);
        _wake.Set();
        await _loop.ConfigureAwait(false);

        // No task starts from now on: the claimed ones still waiting go back to the store (a worker that takes one does the same).
        _local.Writer.TryComplete();
        while (_local.Reader.TryRead(out Running? waiting))
        {
            Release(waiting);
        }

        string[] names = [.. _running.Values.Where(static r => r.Started).Select(static r => r.Name)];
        try
        {
            return await DrainAsync(_workers, names, deadline).ConfigureAwait(false);
        }
        finally
        {
            // The outcomes queued by now are stored; a run still going after this will be rescued when its lease expires.
            await _completions.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<ShutdownReport> DrainAsync(Task[] runs, string[] names, CancellationToken deadline)
    {
        try
        {
            await Task.WhenAll(runs).WaitAsync(deadline).ConfigureAwait(false);
            return new ShutdownReport(Backend, 0, 0);
        }
        catch (OperationCanceledException)
        {
            // The deadline: cancel the handlers; each cancelled run is put back (its attempt does not count).
            await _cancelRuns.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(runs).WaitAsync(ReleaseGrace).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // A handler that ignores its token: its lease expires and another start runs it again.
            }

            string[] released = [.. _releasedNames];
            if (released.Length > 0)
            {
                Safely(() => DurableLog.Released(_logger, released.Length, string.Join(", ", released)));
            }

            return new ShutdownReport(Backend, Math.Max(0, names.Length - released.Length), released.Length);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        _stopClaiming.Dispose();
        _stopStarting.Dispose();
        _cancelRuns.Dispose();
    }

    /// <summary>The store's counts (every instance's tasks), remembered for the gauge.</summary>
    public async Task<DurableCounts> CountAsync(CancellationToken cancellationToken)
    {
        await EnsureReadyAsync().ConfigureAwait(false);
        DurableCounts counts = await Store.CountAsync(Now(), 20, cancellationToken).ConfigureAwait(false);
        _lastCounts = counts;
        return counts;
    }

    private async Task RunAsync()
    {
        CancellationToken stopping = _stopClaiming.Token;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await EnsureReadyAsync().ConfigureAwait(false);
                break;
            }
            catch (Exception ex)
            {
                Safely(() => DurableLog.StoreFailed(_logger, "creating the schema", StoreRetry, ex));
                await Delay(StoreRetry, stopping).ConfigureAwait(false);
            }
        }

        bool claims = _names.Count > 0 && _minPrefetch > 0;
        if (claims)
        {
            Store.OnRemoteWork(_wake.Set); // an instance that only enqueues has nothing to wake for
        }

        Safely(() => DurableLog.Started(_logger, Store.Kind, Instance, _names.Count == 0 ? "(no names: this instance only enqueues)" : string.Join(", ", _names)));
        long leaseMs = (long)_options.LeaseDuration.TotalMilliseconds;
        // Nothing is leased yet: the first renewal is due a third of a lease after the first claims, not right after them.
        long nextRescue = 0, nextPurge = 0, nextRenew = Now() + leaseMs / 3;
        while (!stopping.IsCancellationRequested)
        {
            _wake.Reset();
            long now = Now();
            try
            {
                if (now >= nextRenew && !_running.IsEmpty)
                {
                    nextRenew = now + leaseMs / 3;
                    await RenewAsync(now + leaseMs).ConfigureAwait(false);
                }

                if (now >= nextRescue)
                {
                    nextRescue = now + Math.Max(leaseMs / 2, 500);
                    int rescued = await Store.RescueAsync(now).ConfigureAwait(false);
                    if (rescued > 0)
                    {
                        Safely(() => DurableLog.Rescued(_logger, rescued));
                    }
                }

                if (now >= nextPurge)
                {
                    nextPurge = now + (long)TimeSpan.FromMinutes(10).TotalMilliseconds;
                    await Store.PurgeAsync(now - (long)_options.Retention.TotalMilliseconds, PurgeBatch).ConfigureAwait(false);
                }

                bool drained = false;
                if (claims)
                {
                    AdjustPrefetch();
                    if (Room() is var free and > 0)
                    {
                        int want = Math.Min(free, ClaimBatch);
                        IReadOnlyList<ClaimedTask> claimed = await Store.ClaimAsync(_names, want, Instance, now, now + leaseMs, stopping).ConfigureAwait(false);
                        foreach (ClaimedTask task in claimed)
                        {
                            Begin(task);
                        }

                        if (claimed.Count == want)
                        {
                            continue; // more may be waiting
                        }

                        drained = true;
                    }
                    else
                    {
                        // Full: the run that makes room wakes the loop (checked again after raising the flag, so no wake is lost).
                        Volatile.Write(ref _waitingForRoom, 1);
                        if (Room() > 0)
                        {
                            continue;
                        }
                    }
                }

                await WaitAsync(now, leaseMs, drained, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The store is down or busy: back off, keep the tasks where they are, try again.
                Safely(() => DurableLog.StoreFailed(_logger, "claiming tasks", StoreRetry, ex));
                await Delay(StoreRetry, stopping).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The local queue holds about a tenth of a second of this instance's capacity (MaxConcurrency handlers at their
    /// measured average run time), at least 2 × MaxConcurrency and at most 512 tasks: trivial tasks are claimed hundreds
    /// at a time, while slow ones are not hoarded away from other instances. Sized by capacity, not by what this
    /// instance happened to run, so that instances of one app take equal shares; until a run was measured, the least.
    /// </summary>
    private void AdjustPrefetch()
    {
        long average = Volatile.Read(ref _averageRunTicks);
        long capacity = average == 0 ? _minPrefetch : _options.MaxConcurrency * LocalQueueTicks / average;
        Volatile.Write(ref _prefetch, (int)Math.Clamp(capacity, _minPrefetch, Math.Max(_minPrefetch, MaxPrefetch)));
    }

    /// <summary>
    /// How many tasks to claim now, or 0 to wait: claims are made once half the local queue is free (or it is empty).
    /// Tasks whose handler finished and whose outcome is being stored do not count against it, but no more than
    /// another local queue's worth of them may wait for the store.
    /// </summary>
    private int Room()
    {
        int prefetch = Volatile.Read(ref _prefetch);
        int unfinished = Volatile.Read(ref _unfinished);
        int free = Math.Min(prefetch - unfinished, 2 * prefetch - Volatile.Read(ref _held));
        return free > 0 && (free >= prefetch / 2 || unfinished == 0) ? free : 0;
    }

    /// <summary>A run finished or its outcome was stored: wake the loop if it waits for room and there is some now.</summary>
    private void RoomMade()
    {
        if (Volatile.Read(ref _waitingForRoom) == 1 && Room() > 0 && Interlocked.Exchange(ref _waitingForRoom, 0) == 1)
        {
            _wake.Set();
        }
    }

    /// <summary>Until woken (room, local or remote work), the next delayed task is due, the poll interval, or the next renewal.</summary>
    private async Task WaitAsync(long now, long leaseMs, bool drained, CancellationToken stopping)
    {
        TimeSpan wait = _options.PollInterval;
        if (!_running.IsEmpty)
        {
            wait = TimeSpan.FromMilliseconds(Math.Min(wait.TotalMilliseconds, leaseMs / 3.0));
        }

        if (drained && await Store.NextRunAtAsync(_names).ConfigureAwait(false) is { } next && next > now)
        {
            wait = TimeSpan.FromMilliseconds(Math.Clamp(next - now, 1, wait.TotalMilliseconds));
        }

        await Task.WhenAny(_wake.Waiter, Delay(wait, stopping)).ConfigureAwait(false);
    }

    private Task Delay(TimeSpan wait, CancellationToken stopping) =>
        Task.Delay(wait, _time, stopping).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private void Begin(ClaimedTask task)
    {
        var run = new Running(task, CancellationTokenSource.CreateLinkedTokenSource(_cancelRuns.Token));
        _running[task.Id] = run;
        Interlocked.Increment(ref _unfinished);
        Interlocked.Increment(ref _held);
        Counters.AddQueued(1);
        _local.Writer.TryWrite(run);
    }

    /// <summary>
    /// One of MaxConcurrency workers: runs the claimed tasks of the local queue one after another, without a hand-off
    /// per task. The worker takes its next task as soon as a handler returns; the outcome is stored in the next batch. Once
    /// the host stops, a task taken from the queue goes back to the store unstarted.
    /// </summary>
    private async Task WorkAsync()
    {
        ChannelReader<Running> local = _local.Reader;
        while (await local.WaitToReadAsync().ConfigureAwait(false))
        {
            while (local.TryRead(out Running? run))
            {
                if (_stopStarting.IsCancellationRequested)
                {
                    Release(run);
                    continue;
                }

                try
                {
                    await RunOneAsync(run).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // Not the handler's (that is caught and stored): the bookkeeping itself failed. The lease expires and the task runs again.
                    Safely(() => DurableLog.StoreFailed(_logger, "running a task", _options.LeaseDuration, ex));
                }
            }
        }
    }

    private async Task RunOneAsync(Running run)
    {
        ClaimedTask task = run.Task;
        (Completion? completion, string outcome) result;
        long started = Stopwatch.GetTimestamp();
        try
        {
            run.Started = true;
            result = await ExecuteAsync(task, run).ConfigureAwait(false);
        }
        finally
        {
            Unfinished(Stopwatch.GetTimestamp() - started);
        }

        run.Outcome = result.outcome;
        if (run.LeaseLost)
        {
            run.Outcome = "lost";
            Safely(() => DurableLog.LeaseLost(_logger, task.Name, task.Id));
            Finished(run);
        }
        else if (result.completion is { } done)
        {
            _completions.Store(done, run);
        }
        else
        {
            Finished(run);
        }
    }

    /// <summary>A claimed task that will not start here: its attempt does not count (the release gives back what the claim added).</summary>
    private void Release(Running run)
    {
        Unfinished(null);
        Counters.AbandonedQueued(1);
        run.Outcome = null;
        _completions.Store(new Completion(run.Task.Id, run.Task.LeaseToken, RunOutcome.Released, null, null), run);
    }

    /// <summary>The batch holding a run's outcome was stored (true), fenced (false: the lease was taken over and the other run's outcome stands) or given up (null).</summary>
    private void Stored(Running run, bool? applied)
    {
        if (applied == false)
        {
            Safely(() => DurableLog.LeaseLost(_logger, run.Task.Name, run.Task.Id));
        }

        Finished(run);
    }

    private void Finished(Running run)
    {
        if (run.Outcome is { } outcome)
        {
            Count(outcome);
        }

        Forget(run);
    }

    /// <summary>One handler fewer is waiting or running; its run time feeds the average (a moving one, over about 16 runs).</summary>
    private void Unfinished(long? runTicks)
    {
        if (runTicks is { } ticks)
        {
            long average = Volatile.Read(ref _averageRunTicks);
            Volatile.Write(ref _averageRunTicks, average == 0 ? ticks : average + (ticks - average) / 16); // racy by design: a heuristic
        }

        Interlocked.Decrement(ref _unfinished);
        RoomMade();
    }

    /// <summary>The run's outcome is stored (or given up): it no longer holds its task.</summary>
    private void Forget(Running run)
    {
        _running.TryRemove(run.Task.Id, out _);
        run.Cancel.Dispose();
        Interlocked.Decrement(ref _held);
        RoomMade();
    }

    /// <summary>Runs one attempt as a background transaction; returns the outcome to store (none when the lease was lost).</summary>
    private async Task<(Completion? Completion, string Outcome)> ExecuteAsync(ClaimedTask task, Running run)
    {
        Counters.Started();
        Completion? completion = null;
        string outcome = "succeeded";
        ActivityContext link = task.TraceParent is { } traceParent && ActivityContext.TryParse(traceParent, null, out ActivityContext parsed) ? parsed : default;
        Transaction transaction = _application.StartTransaction(TransactionKind.Background, task.Name, "DurableTask", link: link);
        transaction.QueueWait = TimeSpan.FromMilliseconds(Math.Max(0, Now() - task.RunAt));
        TransactionScope scope = TransactionScope.Owner(transaction);
        try
        {
            if (!_handlers.TryGet(task.Name, out DurableHandler? handler) || !handler.Runs)
            {
                return (new Completion(task.Id, task.LeaseToken, RunOutcome.Released, null, null), "released");
            }

            object? payload;
            try
            {
                payload = handler.Deserialize(task.Payload, _handlers.JsonOptions);
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
            {
                // Data that no longer fits its contract never will: dead at once, with the reason.
                string reason = "Afterward.PayloadUnreadable: " + Describe(ex);
                transaction.NoticeError(ex);
                Safely(() => DurableLog.Dead(_logger, task.Name, task.Id, task.Attempt, reason));
                return (new Completion(task.Id, task.LeaseToken, RunOutcome.Failed, reason, null), "dead");
            }

            // Without a timeout the run's own token (stop, lease lost) is the handler's: no second source per task.
            using CancellationTokenSource? timeout = task.TimeoutMs is { } ms ? new CancellationTokenSource(TimeSpan.FromMilliseconds(ms), _time) : null;
            using CancellationTokenSource? linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(run.Cancel.Token, timeout.Token);
            CancellationToken cancellation = linked?.Token ?? run.Cancel.Token;
            var context = new DurableTaskContext(task.Id, task.Name, task.Attempt, DateTimeOffset.FromUnixTimeMilliseconds(task.EnqueuedAt));
            try
            {
                AsyncServiceScope services = _scopes.CreateAsyncScope();
                try
                {
                    await handler.RunAsync(payload, context, services.ServiceProvider, cancellation).ConfigureAwait(false);
                }
                finally
                {
                    await services.DisposeAsync().ConfigureAwait(false);
                }

                completion = new Completion(task.Id, task.LeaseToken, RunOutcome.Succeeded, null, null);
            }
            catch (OperationCanceledException) when (_cancelRuns.IsCancellationRequested && !run.LeaseLost)
            {
                completion = new Completion(task.Id, task.LeaseToken, RunOutcome.Released, null, null);
                outcome = "released";
                _releasedNames.Enqueue(task.Name);
            }
            catch (Exception ex) when (!run.LeaseLost)
            {
                transaction.NoticeError(ex);
                string error = Describe(ex);
                if (task.Attempt >= task.MaxAttempts)
                {
                    completion = new Completion(task.Id, task.LeaseToken, RunOutcome.Failed, error, null);
                    outcome = "dead";
                    Safely(() => DurableLog.Dead(_logger, task.Name, task.Id, task.Attempt, error));
                }
                else
                {
                    TimeSpan delay = RetrySchedule.Delay(_options.RetryDelay, task.Attempt, Random.Shared.NextDouble());
                    completion = new Completion(task.Id, task.LeaseToken, RunOutcome.Failed, error, Now() + (long)delay.TotalMilliseconds);
                    outcome = "failed";
                    Safely(() => DurableLog.Retrying(_logger, task.Name, task.Id, task.Attempt, task.MaxAttempts, delay, ex));
                }
            }
            catch (Exception ex)
            {
                transaction.NoticeError(ex);
            }

            return (completion, outcome);
        }
        finally
        {
            scope.Dispose();
        }
    }

    private async Task RenewAsync(long leaseUntil)
    {
        Lease[] leases = [.. _running.Values.Select(static r => new Lease(r.Task.Id, r.Task.LeaseToken))];
        IReadOnlyList<string> lost = await Store.RenewAsync(leases, leaseUntil).ConfigureAwait(false);
        foreach (string id in lost)
        {
            if (_running.TryGetValue(id, out Running? run))
            {
                // Fencing: this worker may no longer finish the task; stop its handler.
                run.LeaseLost = true;
                try
                {
                    await run.Cancel.CancelAsync().ConfigureAwait(false);
                }
                catch (ObjectDisposedException)
                {
                    // It just finished.
                }
            }
        }
    }

    private async Task ReleaseAsync(string[] ids)
    {
        try
        {
            await EnsureReadyAsync().ConfigureAwait(false);
            await Store.ReleaseHeldAsync(ids, Now()).ConfigureAwait(false);
            _wake.Set();
        }
        catch (Exception ex)
        {
            // Not lost: a held task becomes runnable by itself once its hold (LeaseDuration) has passed.
            Safely(() => DurableLog.StoreFailed(_logger, "releasing a request's tasks", _options.LeaseDuration, ex));
        }
    }

    private async Task DiscardAsync(string[] ids, string transactionName, string names)
    {
        try
        {
            await EnsureReadyAsync().ConfigureAwait(false);
            int discarded = await Store.DiscardHeldAsync(ids).ConfigureAwait(false);
            _accounting.Counters.AddSkipped(discarded);
            Safely(() => DurableLog.Discarded(_logger, transactionName, discarded, names));
        }
        catch (Exception ex)
        {
            Safely(() => DurableLog.StoreFailed(_logger, "discarding a failed request's tasks", StoreRetry, ex));
        }
    }

    private static string[] Ids(TaskBatch batch)
    {
        var ids = new string[batch.Items.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = (string)batch.Items[i].State!;
        }

        return ids;
    }

    private void Count(string outcome)
    {
        switch (outcome)
        {
            case "succeeded":
                Counters.Completed();
                break;
            case "released":
            case "lost":
                Counters.AbandonedRunning();
                break;
            default:
                Counters.Failed(new TaskFailure("durable", outcome, outcome, _time.GetUtcNow()));
                break;
        }

        if (Attempts.Enabled)
        {
            Attempts.Add(1, new KeyValuePair<string, object?>(AfterwardDiagnostics.OutcomeTag, outcome),
                new KeyValuePair<string, object?>(AfterwardDiagnostics.AppTag, _application.Name),
                new KeyValuePair<string, object?>("afterward.instance", Instance));
        }
    }

    private IEnumerable<Measurement<long>> ObserveCounts()
    {
        if (_lastCounts is not { } c)
        {
            yield break;
        }

        KeyValuePair<string, object?> app = new(AfterwardDiagnostics.AppTag, _application.Name);
        yield return new(c.Scheduled, app, new("afterward.durable.state", "scheduled"));
        yield return new(c.Queued, app, new("afterward.durable.state", "queued"));
        yield return new(c.Running, app, new("afterward.durable.state", "running"));
        yield return new(c.Retrying, app, new("afterward.durable.state", "retrying"));
        yield return new(c.Succeeded, app, new("afterward.durable.state", "succeeded"));
        yield return new(c.Dead, app, new("afterward.durable.state", "dead"));
    }

    /// <summary><c>{full type name}: {message}</c>, bounded for storage; an exception whose Message throws is still described.</summary>
    internal static string Describe(Exception exception)
    {
        (string type, string message) = TaskAccounting.Describe(exception);
        string text = type + ": " + message;
        return text.Length <= 4000 ? text : text[..4000] + "…";
    }

    internal static void Safely(Action log)
    {
        try
        {
            log();
        }
        catch (Exception)
        {
            // The application's logging failed; the task's state is already stored.
        }
    }

    private sealed class Running(ClaimedTask task, CancellationTokenSource cancel)
    {
        public ClaimedTask Task { get; } = task;

        public string Name => Task.Name;

        public CancellationTokenSource Cancel { get; } = cancel;

        public volatile bool LeaseLost;

        public volatile bool Started;

        /// <summary>What the attempt counts as once its outcome is stored (succeeded, failed, dead, released, lost); null for a task given back unstarted.</summary>
        public string? Outcome;
    }
}
