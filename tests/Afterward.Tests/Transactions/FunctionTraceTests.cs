using Afterward.Metrics;

namespace Afterward.Tests;

public class FunctionTraceTests
{
    [Fact]
    public void FunctionTrace_InTransaction_RecordsScopedAndUnscoped()
    {
        var (app, time) = TestApps.Create();

        using (Agent.BackgroundTask(app, name: "Nightly.Run"))
        {
            using (Agent.FunctionTrace("Step"))
            {
                time.Advance(TimeSpan.FromMilliseconds(20));
            }

            using (Agent.FunctionTrace("query", "Datastore"))
            {
                time.Advance(TimeSpan.FromMilliseconds(5));
            }
        }

        MetricsSnapshot snapshot = app.Snapshot();
        Assert.Equal(TimeSpan.FromMilliseconds(20), snapshot.Get("Function/Step")!.Total);
        Assert.Equal(1, snapshot.GetScoped("OtherTransaction/Function/Nightly.Run", "Function/Step")!.CallCount);
        Assert.Equal(1, snapshot.GetScoped("OtherTransaction/Function/Nightly.Run", "Datastore/query")!.CallCount);
    }

    [Fact]
    public void FunctionTrace_SequentialChildren_ExclusiveIsDurationMinusChildren()
    {
        var (app, time) = TestApps.Create();

        using (Agent.BackgroundTask(app, name: "seq"))
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            using (Agent.FunctionTrace("a"))
            {
                time.Advance(TimeSpan.FromMilliseconds(20));
                using (Agent.FunctionTrace("inner"))
                {
                    time.Advance(TimeSpan.FromMilliseconds(5));
                }
            }

            using (Agent.FunctionTrace("b"))
            {
                time.Advance(TimeSpan.FromMilliseconds(30));
            }

            time.Advance(TimeSpan.FromMilliseconds(40));
        }

        MetricsSnapshot snapshot = app.Snapshot();
        MetricStats transaction = snapshot.Get("OtherTransaction/Function/seq")!;
        Assert.Equal(TimeSpan.FromMilliseconds(105), transaction.Total);
        Assert.Equal(TimeSpan.FromMilliseconds(50), transaction.Exclusive);
        MetricStats a = snapshot.Get("Function/a")!;
        Assert.Equal(TimeSpan.FromMilliseconds(25), a.Total);
        Assert.Equal(TimeSpan.FromMilliseconds(20), a.Exclusive);
    }

    [Fact]
    public async Task FunctionTrace_ConcurrentChildren_ExclusiveUsesUnionAndTotalsExceedDuration()
    {
        var (app, time) = TestApps.Create();
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await using (Agent.BackgroundTask(app, name: "parallel"))
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            Task first = Traced("first", firstStarted, firstEnd);   // runs 10 → 70
            await firstStarted.Task;
            time.Advance(TimeSpan.FromMilliseconds(20));
            Task second = Traced("second", secondStarted, secondEnd); // runs 30 → 90
            await secondStarted.Task;
            time.Advance(TimeSpan.FromMilliseconds(40));
            firstEnd.SetResult();
            await first;
            time.Advance(TimeSpan.FromMilliseconds(20));
            secondEnd.SetResult();
            await second;
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        MetricsSnapshot snapshot = app.Snapshot();
        MetricStats transaction = snapshot.Get("OtherTransaction/Function/parallel")!;
        Assert.Equal(TimeSpan.FromMilliseconds(100), transaction.Total);
        Assert.Equal(TimeSpan.FromMilliseconds(20), transaction.Exclusive);
        TimeSpan children = snapshot.Get("Function/first")!.Total + snapshot.Get("Function/second")!.Total;
        Assert.Equal(TimeSpan.FromMilliseconds(120), children);
        Assert.True(children > transaction.Total);

        static async Task Traced(string name, TaskCompletionSource started, TaskCompletionSource end)
        {
            using (Agent.FunctionTrace(name))
            {
                started.SetResult();
                await end.Task;
            }
        }
    }

    [Fact]
    public async Task FunctionTrace_ChildrenEndingOutOfStartOrder_ExclusiveUsesUnion()
    {
        var (app, time) = TestApps.Create();
        await using (Agent.BackgroundTask(app, name: "nested"))
        {
            using (Agent.FunctionTrace("parent"))
            {
                await Overlapping("long", "short", longMs: 50);      // 0 → 50, with 10 → 20 inside it
                time.Advance(TimeSpan.FromMilliseconds(15));        // parent: 0 → 65
            }

            await Overlapping("first", "second", longMs: 40);       // 65 → 105, with 75 → 85 inside it
            time.Advance(TimeSpan.FromMilliseconds(5));             // transaction: 0 → 110
        }

        MetricsSnapshot snapshot = app.Snapshot();
        Assert.Equal(TimeSpan.FromMilliseconds(15), snapshot.Get("Function/parent")!.Exclusive);
        MetricStats transaction = snapshot.Get("OtherTransaction/Function/nested")!;
        Assert.Equal(TimeSpan.FromMilliseconds(110), transaction.Total);
        Assert.Equal(TimeSpan.FromMilliseconds(5), transaction.Exclusive);

        // A child that runs longMs, and a sibling that starts 10 ms after it and ends 10 ms later, first.
        async Task Overlapping(string longName, string shortName, int longMs)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var end = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task longer = Traced(longName, started, end);
            await started.Task;
            time.Advance(TimeSpan.FromMilliseconds(10));
            using (Agent.FunctionTrace(shortName))
            {
                time.Advance(TimeSpan.FromMilliseconds(10));
            }

            time.Advance(TimeSpan.FromMilliseconds(longMs - 20));
            end.SetResult();
            await longer;
        }

        static async Task Traced(string name, TaskCompletionSource started, TaskCompletionSource end)
        {
            using (Agent.FunctionTrace(name))
            {
                started.SetResult();
                await end.Task;
            }
        }
    }

    [Fact]
    public void FunctionTrace_Disposed_RestoresTheParentAndKeepsTheCodesOwnAmbientValues()
    {
        var (app, time) = TestApps.Create();
        var local = new AsyncLocal<string>();

        using (Agent.BackgroundTask(app, name: "ambient"))
        {
            using (Agent.FunctionTrace("untouched"))
            {
                time.Advance(TimeSpan.FromMilliseconds(10));
            }

            using (Agent.FunctionTrace("writes"))
            {
                local.Value = "set inside";
                time.Advance(TimeSpan.FromMilliseconds(20));
            }

            Assert.Equal("set inside", local.Value);
            using (Agent.FunctionTrace("after"))
            {
                time.Advance(TimeSpan.FromMilliseconds(30));
            }

            time.Advance(TimeSpan.FromMilliseconds(40));
        }

        // Each segment was a direct child of the transaction again once the one before it ended.
        MetricsSnapshot snapshot = app.Snapshot();
        Assert.Equal(TimeSpan.FromMilliseconds(40), snapshot.Get("OtherTransaction/Function/ambient")!.Exclusive);
        foreach (string name in (string[])["untouched", "writes", "after"])
        {
            MetricStats segment = snapshot.Get("Function/" + name)!;
            Assert.Equal(segment.Total, segment.Exclusive);
        }
    }

    [Fact]
    public void FunctionTrace_ManyTransactionsOnOneThread_EachTraceHasOnlyItsOwnSegmentsInStartOrder()
    {
        var (app, time) = TestApps.Create();
        for (int run = 1; run <= 4; run++)
        {
            using (Agent.BackgroundTask(app, name: "traced"))
            {
                for (int i = 0; i < run * 5; i++)
                {
                    using (Agent.FunctionTrace("outer" + run))
                    {
                        using (Agent.FunctionTrace("inner"))
                        {
                            time.Advance(TimeSpan.FromMilliseconds(run));
                        }
                    }
                }
            }
        }

        TraceSample[] slowest = app.Metrics.Detail("OtherTransaction/Function/traced", time.GetUtcNow())!.Slowest;
        Assert.Equal(4, slowest.Length);
        for (int run = 4; run >= 1; run--)
        {
            TraceSample trace = slowest[4 - run];
            Assert.Equal(run * 10, trace.Segments.Count);
            Assert.Equal(run * 5, trace.Segments.Count(s => s.Name == "Function/outer" + run && s.Depth == 1));
            Assert.Equal(run * 5, trace.Segments.Count(s => s.Name == "Function/inner" && s.Depth == 2));
            Assert.Equal(trace.Segments.OrderBy(s => s.StartMs).ThenBy(s => s.Depth), trace.Segments);
        }
    }

    [Fact]
    public void FunctionTrace_NoTransaction_IsNoOp()
    {
        using SegmentScope segment = Agent.FunctionTrace("nothing");

        Assert.Null(segment.MetricName);
        Assert.Null(Agent.CurrentTransaction);
    }

    [Fact]
    public void FunctionTrace_ScopedToFinalTransactionName()
    {
        var (app, _) = TestApps.Create();

        using (TestApps.StartWeb(app, "GET /a"))
        {
            using (Agent.FunctionTrace("Step"))
            {
            }

            Agent.SetTransactionName("final");
        }

        MetricsSnapshot snapshot = app.Snapshot();
        Assert.NotNull(snapshot.GetScoped("WebTransaction/Function/final", "Function/Step"));
        Assert.Null(snapshot.GetScoped("WebTransaction/Route/GET /a", "Function/Step"));
    }

    [Fact]
    public void FunctionTrace_NullName_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => Agent.FunctionTrace(null!));
    }
}
