using Afterward.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Afterward.Tests.Tasks;

/// <summary>The in-memory runner driven directly, its clock a <see cref="FakeTimeProvider"/>: no host, no sleeps.</summary>
public sealed class BackgroundTaskRunnerTests : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly ListLoggerProvider _logs = new();
    private readonly ServiceProvider _services;
    private readonly List<BackgroundTaskRunner> _runners = [];

    public BackgroundTaskRunnerTests()
    {
        var services = new ServiceCollection();
        services.AddScoped<HangingDisposal>();
        services.AddScoped<Recorder>();
        _services = services.BuildServiceProvider();
    }

    [Fact]
    public async Task Batch_ThreeTasks_RunInOrderInOneScope()
    {
        (BackgroundTaskRunner runner, _) = Start();
        var seen = new List<(int Step, Recorder Scope)>();
        var done = new TaskCompletionSource();
        List<TaskItem> items =
        [
            Item(s => seen.Add((1, s.GetRequiredService<Recorder>()))),
            Item(s => seen.Add((2, s.GetRequiredService<Recorder>()))),
            Item(s =>
            {
                seen.Add((3, s.GetRequiredService<Recorder>()));
                done.SetResult();
            }),
        ];

        await runner.EnqueueAsync(items, default, "trace");
        await done.Task.WaitAsync(Wait);

        Assert.Equal([1, 2, 3], seen.Select(s => s.Step));
        Assert.Single(seen.Select(s => s.Scope).Distinct());
    }

    [Fact]
    public async Task Lists_QueuedBeforeTheStart_RunOnceStarted()
    {
        (BackgroundTaskRunner runner, _, _) = StartTimed(o => o.BackgroundTasks.MaxConcurrency = 2, TimeProvider.System, start: false);
        int ran = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (int i = 0; i < 5; i++)
        {
            await runner.EnqueueAsync([Item(_ =>
            {
                if (Interlocked.Increment(ref ran) == 5)
                {
                    done.SetResult();
                }
            })], default, "trace");
        }

        Assert.Equal(0, Volatile.Read(ref ran));
        runner.Start();

        await done.Task.WaitAsync(Wait);
        Assert.Equal(5, Volatile.Read(ref ran));
    }

    [Fact]
    public async Task Lists_ManyAtOnce_RunUpToMaxConcurrencyAtATime()
    {
        const int workers = 3;
        (BackgroundTaskRunner runner, _) = Start(o => o.BackgroundTasks.MaxConcurrency = workers);
        int running = 0;
        int most = 0;
        int finished = 0;
        var allBusy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The first lists hold their workers until all of them are busy: with fewer workers this never completes.
        for (int i = 0; i < 40; i++)
        {
            await runner.EnqueueAsync([ItemAsync(async (_, _) =>
            {
                int now = Interlocked.Increment(ref running);
                InterlockedMax(ref most, now);
                if (now == workers)
                {
                    allBusy.TrySetResult();
                }

                await allBusy.Task;
                await Task.Yield();
                Interlocked.Decrement(ref running);
                if (Interlocked.Increment(ref finished) == 40)
                {
                    done.SetResult();
                }
            }, "list " + i)], default, "trace");
        }

        await done.Task.WaitAsync(Wait);
        Assert.Equal(workers, Volatile.Read(ref most));

        static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }

    [Fact]
    public async Task Lists_QueuedFromManyThreadsAsWorkersGoIdle_EveryOneRuns()
    {
        (BackgroundTaskRunner runner, Application app) = Start(o => o.BackgroundTasks.MaxConcurrency = 2);
        const int perThread = 5_000;
        int ran = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Trivial tasks finish at once, so workers keep going idle while lists are being queued.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < perThread; i++)
            {
                await runner.EnqueueAsync([Item(_ =>
                {
                    if (Interlocked.Increment(ref ran) == 4 * perThread)
                    {
                        done.SetResult();
                    }
                })], default, "trace");
            }
        })));

        await done.Task.WaitAsync(Wait);
        ShutdownReport report = await runner.StopAsync(CancellationToken.None).WaitAsync(Wait);
        Assert.Equal(0, report.Abandoned);
        Assert.Equal(4 * perThread, app.TaskCounters.Completed);
    }

    [Fact]
    public async Task List_QueuedJustAsTheOnlyWorkerGoesIdle_StillRuns()
    {
        (BackgroundTaskRunner runner, _) = Start(o => o.BackgroundTasks.MaxConcurrency = 1);
        var late = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int queued = 0;

        // Between the worker's last look at the queue and its going idle, no worker is idle to be woken.
        runner.BeforeIdle = () =>
        {
            if (Interlocked.Exchange(ref queued, 1) == 0)
            {
                Assert.True(runner.DispatchAsync(new TaskBatch([Item(_ => late.SetResult(), "late")], default, "trace")).IsCompletedSuccessfully);
            }
        };
        await runner.EnqueueAsync([Item(_ => { }, "first")], default, "trace");

        await late.Task.WaitAsync(Wait);
    }

    [Fact]
    public async Task Stop_BeforeTheDeadline_RunsEveryQueuedListFirst()
    {
        (BackgroundTaskRunner runner, Application app) = Start(o => o.BackgroundTasks.MaxConcurrency = 2);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (int i = 0; i < 6; i++)
        {
            await runner.EnqueueAsync([ItemAsync(async (_, _) => await release.Task, "held " + i)], default, "trace");
        }

        Task<ShutdownReport> stopping = runner.StopAsync(CancellationToken.None);
        Assert.False(stopping.IsCompleted);
        release.SetResult();
        ShutdownReport report = await stopping.WaitAsync(Wait);

        Assert.Equal(0, report.Abandoned);
        Assert.Equal(6, app.TaskCounters.Completed);
    }

    [Fact]
    public async Task Stop_AtTheDeadline_CancelsAndReportsAbandonedByName()
    {
        (BackgroundTaskRunner runner, Application app) = Start(o => o.BackgroundTasks.MaxConcurrency = 1);
        var running = new TaskCompletionSource();
        await runner.EnqueueAsync([ItemAsync(async (_, token) =>
        {
            running.SetResult();
            await Task.Delay(Timeout.Infinite, token);
        }, "cooperative"), Item(_ => { }, "never-started")], default, "trace");
        await running.Task.WaitAsync(Wait);

        ShutdownReport report = await runner.StopAsync(new CancellationToken(canceled: true));

        Assert.Equal(2, report.Abandoned);
        Assert.Equal(2, app.TaskCounters.Abandoned);
        Assert.Equal(0, app.TaskCounters.Running);
        Assert.Contains(_logs.Entries, e => e.EventId == 2003 && e.Message.Contains("cooperative", StringComparison.Ordinal)
            && e.Message.Contains("never-started", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LongTask_PastTheThreshold_WarnedOnce()
    {
        (BackgroundTaskRunner runner, Application _, FakeTimeProvider time) = StartTimed(o => o.BackgroundTasks.LongTaskWarning = TimeSpan.FromSeconds(4));
        var started = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        await runner.EnqueueAsync([ItemAsync(async (_, _) =>
        {
            started.SetResult();
            await release.Task;
        }, "slow")], default, "trace");
        await started.Task.WaitAsync(Wait);

        time.Advance(TimeSpan.FromSeconds(5));
        time.Advance(TimeSpan.FromSeconds(5));
        release.SetResult();

        var warning = await _logs.WaitForAsync(e => e.EventId == 2004, Wait);
        Assert.Contains("slow", warning.Message, StringComparison.Ordinal);
        Assert.Single(_logs.Entries, e => e.EventId == 2004);
    }

    [Fact]
    public async Task ScopeDisposal_NeverCompletes_ReportedAndWorkerMovesOn()
    {
        (BackgroundTaskRunner runner, Application _, FakeTimeProvider time) = StartTimed(o =>
        {
            o.BackgroundTasks.MaxConcurrency = 1;
            o.BackgroundTasks.LongTaskWarning = TimeSpan.FromSeconds(2);
        });
        var next = new TaskCompletionSource();
        await runner.EnqueueAsync([Item(s => s.GetRequiredService<HangingDisposal>(), "holds-a-hanging-service")], default, "trace");
        await runner.EnqueueAsync([Item(_ => next.SetResult(), "next")], default, "trace");

        // The disposal's bound is a timer of the fake clock, armed once disposal began: advance until it fires.
        await WaitUntilAsync(() => HangingDisposal.Disposing);
        await WaitUntilAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return next.Task.IsCompleted;
        });
        var reported = await _logs.WaitForAsync(e => e.EventId == 2007, Wait);
        Assert.Contains("holds-a-hanging-service", reported.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThrowingLogger_TaskFails_NextTaskStillRunsAndCounts()
    {
        (BackgroundTaskRunner runner, Application app) = Start(o =>
        {
            o.BackgroundTasks.MaxConcurrency = 1;
            o.LoggerFactory = LoggerFactory.Create(b => b.AddProvider(new ThrowingProvider()));
        });
        var done = new TaskCompletionSource();
        await runner.EnqueueAsync([Item(_ => throw new UnprintableException(), "fails"), Item(_ => done.SetResult(), "next")], default, "trace");

        await done.Task.WaitAsync(Wait);
        await WaitUntilAsync(() => app.TaskCounters.Completed == 1);

        BackgroundTaskCounters counters = app.TaskCounters;
        Assert.Equal(1, counters.Failed);
        Assert.Equal(0, counters.Running);
        Assert.Equal(typeof(UnprintableException).FullName, Assert.Single(counters.RecentFailures).ExceptionType);
        Assert.True(runner.Accounting.LogFailures >= 1);
    }

    [Fact]
    public async Task LongTaskTimer_LoggerThrows_RunnerKeepsRunning()
    {
        (BackgroundTaskRunner runner, Application app, FakeTimeProvider time) = StartTimed(o =>
        {
            o.BackgroundTasks.MaxConcurrency = 1;
            o.BackgroundTasks.LongTaskWarning = TimeSpan.FromSeconds(1);
            o.LoggerFactory = LoggerFactory.Create(b => b.AddProvider(new ThrowingProvider()));
        });
        var started = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var next = new TaskCompletionSource();
        await runner.EnqueueAsync([ItemAsync(async (_, _) =>
        {
            started.SetResult();
            await release.Task;
        }, "slow"), Item(_ => next.SetResult(), "next")], default, "trace");
        await started.Task.WaitAsync(Wait);

        // The timer fires on the fake clock; its warning's logger throws: counted, the process and the runner go on.
        Assert.Equal(0, runner.Accounting.LogFailures);
        time.Advance(TimeSpan.FromSeconds(2));
        release.SetResult();
        await next.Task.WaitAsync(Wait);

        Assert.True(runner.Accounting.LogFailures >= 1);
        await WaitUntilAsync(() => app.TaskCounters.Completed == 2);
    }

    [Fact]
    public async Task DistinctTimeouts_ManyOfThem_PipelineCacheStaysBounded()
    {
        (BackgroundTaskRunner runner, Application app) = Start();
        var items = new List<TaskItem>();
        for (int i = 1; i <= 500; i++)
        {
            TaskItem item = Item(_ => { });
            item.Timeout = TimeSpan.FromMilliseconds(1000 + i);
            items.Add(item);
        }

        await runner.EnqueueAsync(items, default, "trace");
        await WaitUntilAsync(() => app.TaskCounters.Completed == 500);

        Assert.True(runner.Execution.CachedPipelines <= TaskExecution.MaxCachedPipelines, $"{runner.Execution.CachedPipelines} pipelines cached");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (BackgroundTaskRunner runner in _runners)
        {
            await runner.DisposeAsync();
        }

        HangingDisposal.Release();
        await _services.DisposeAsync();
    }

    private (BackgroundTaskRunner Runner, Application App) Start(Action<AfterwardOptions>? configure = null)
    {
        (BackgroundTaskRunner runner, Application app, _) = StartTimed(configure, TimeProvider.System);
        return (runner, app);
    }

    private (BackgroundTaskRunner Runner, Application App, FakeTimeProvider Time) StartTimed(Action<AfterwardOptions>? configure = null, TimeProvider? clock = null,
        bool start = true)
    {
        (Application app, FakeTimeProvider time) = TestApps.Create(o =>
        {
            o.LoggerFactory = LoggerFactory.Create(b => b.AddProvider(_logs));
            if (clock is not null)
            {
                o.TimeProvider = clock;
            }

            configure?.Invoke(o);
        });
        var runner = new BackgroundTaskRunner(app, _services.GetRequiredService<IServiceScopeFactory>());
        _runners.Add(runner);
        if (start)
        {
            runner.Start();
        }

        return (runner, app, time);
    }

    private static TaskItem Item(Action<IServiceProvider> body, string? name = null)
    {
        TaskItem item = TaskItem.FromInvoker(body, (services, _) =>
        {
            body(services);
            return default;
        });
        item.Name = name;
        return item;
    }

    private static TaskItem ItemAsync(Func<IServiceProvider, CancellationToken, Task> body, string name)
    {
        TaskItem item = TaskItem.FromInvoker(body, (services, token) => new ValueTask(body(services, token)));
        item.Name = name;
        return item;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(Wait);
        while (!condition())
        {
            await Task.Yield();
            deadline.Token.ThrowIfCancellationRequested();
        }
    }

    private sealed class Recorder;

    private sealed class HangingDisposal : IAsyncDisposable
    {
        private static readonly TaskCompletionSource ReleaseSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private static volatile bool _disposing;

        public static bool Disposing => _disposing;

        public static void Release() => ReleaseSignal.TrySetResult();

        public ValueTask DisposeAsync()
        {
            _disposing = true;
            return new ValueTask(ReleaseSignal.Task);
        }
    }

    private sealed class UnprintableException : Exception
    {
        public override string Message => throw new InvalidOperationException("Message throws");

        public override string ToString() => throw new InvalidOperationException("ToString throws");
    }

    private sealed class ThrowingProvider : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Throwing();

        public void Dispose()
        {
        }

        private sealed class Throwing : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                throw new InvalidOperationException("the logging pipeline is down");
        }
    }
}
