namespace Afterward.Tests;

public class BackgroundTaskScopeTests
{
    [Fact]
    public void BackgroundTask_NoCurrentTransaction_RecordsOneBackgroundTransaction()
    {
        var (app, time) = TestApps.Create();

        using (Agent.BackgroundTask(app, name: "Nightly"))
        {
            time.Advance(TimeSpan.FromMilliseconds(30));
        }

        MetricsSnapshot snapshot = app.Snapshot();
        Assert.Equal(1, snapshot.Count("OtherTransaction/all"));
        Assert.Equal(1, snapshot.Count("OtherTransaction/Function/Nightly"));
        Assert.Equal(1, snapshot.Count("OtherTransactionTotalTime"));
        Assert.Equal(1, snapshot.Count("OtherTransactionTotalTime/Function/Nightly"));
        Assert.Equal(TimeSpan.FromMilliseconds(30), snapshot.Get("OtherTransaction/Function/Nightly")!.Total);
        Assert.Null(snapshot.Get("WebTransaction"));
        Assert.Null(snapshot.GetApdex("Apdex"));
    }

    [Fact]
    public void BackgroundTask_SetBackgroundTaskFalseInside_RecordsWebTransactionWithApdex()
    {
        var (app, time) = TestApps.Create();

        using (Agent.BackgroundTask(app, name: "Nightly"))
        {
            Assert.True(Agent.SetBackgroundTask(false));
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        MetricsSnapshot snapshot = app.Snapshot();
        Assert.Equal(1, snapshot.Count("WebTransaction"));
        Assert.Equal(1, snapshot.Count("WebTransaction/Function/Nightly"));
        Assert.Equal(1, snapshot.Count("HttpDispatcher"));
        Assert.Equal(1, snapshot.Count("WebTransactionTotalTime"));
        Assert.Equal(1, snapshot.Count("WebTransactionTotalTime/Function/Nightly"));
        Assert.Equal(1, snapshot.GetApdex("Apdex")!.Satisfying);
        Assert.Equal(1, snapshot.GetApdex("Apdex/Function/Nightly")!.Satisfying);
        Assert.Null(snapshot.Get("OtherTransaction/all"));
    }

    [Theory]
    [InlineData("Custom", "OtherTransaction/Custom/job")]
    [InlineData("", "OtherTransaction/Function/job")]
    [InlineData(null, "OtherTransaction/Function/job")]
    [InlineData("/Group", "OtherTransaction/Function/Group/job")]
    public void BackgroundTask_Group_IsNormalized(string? group, string expected)
    {
        var (app, _) = TestApps.Create();

        using (Agent.BackgroundTask(app, name: "job", group: group))
        {
        }

        Assert.Equal(1, app.Snapshot().Count(expected));
    }

    [Fact]
    public void BackgroundTask_Nested_RecordsOneTransactionNamedByTheOuterScope()
    {
        var (app, _) = TestApps.Create();

        using (Agent.BackgroundTask(app, name: "outer"))
        {
            using TransactionScope inner = Agent.BackgroundTask(app, name: "inner");
            Assert.False(inner.IsNewTransaction);
        }

        MetricsSnapshot snapshot = app.Snapshot();
        Assert.Equal(1, snapshot.Count("OtherTransaction/all"));
        Assert.Equal(1, snapshot.Count("OtherTransaction/Function/outer"));
        Assert.Null(snapshot.Get("OtherTransaction/Function/inner"));
        Assert.Equal(1, snapshot.GetScoped("OtherTransaction/Function/outer", "Function/inner")!.CallCount);
    }

    [Fact]
    public void BackgroundTask_InsideWebTransaction_ReclassifiesAndRenamesKeepingStart()
    {
        var (app, time) = TestApps.Create();

        using (TestApps.StartWeb(app, "GET /reports/{id}"))
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            using (TransactionScope scope = Agent.BackgroundTask(app, name: "report", group: "Task"))
            {
                Assert.False(scope.IsNewTransaction);
                time.Advance(TimeSpan.FromMilliseconds(50));
            }

            time.Advance(TimeSpan.FromMilliseconds(25));
        }

        MetricsSnapshot snapshot = app.Snapshot();
        Assert.Equal(1, snapshot.Count("OtherTransaction/Task/report"));
        Assert.Equal(TimeSpan.FromMilliseconds(175), snapshot.Get("OtherTransaction/Task/report")!.Total);
        Assert.Null(snapshot.Get("WebTransaction"));
        Assert.Null(snapshot.Get("WebTransaction/Route/GET /reports/{id}"));
        Assert.Null(snapshot.GetApdex("Apdex"));
    }

    [Fact]
    public void SetBackgroundTask_NoTransaction_ReturnsFalse()
    {
        Assert.Null(Agent.CurrentTransaction);
        Assert.False(Agent.SetBackgroundTask());
        Assert.False(Agent.SetBackgroundTask(false));
        Assert.False(Agent.SetTransactionName("x"));
        Assert.False(Agent.IgnoreTransaction());
        Assert.False(Agent.SuppressApdex());
        Assert.False(Agent.NoticeError(new InvalidOperationException()));
        Assert.False(Agent.AddCustomAttribute("k", 1));
    }

    [Fact]
    public void SetBackgroundTask_InWebTransaction_KeepsNameAndChangesKind()
    {
        var (app, _) = TestApps.Create();

        using (TestApps.StartWeb(app, "GET /slow"))
        {
            Assert.True(Agent.SetBackgroundTask());
        }

        Assert.Equal(1, app.Snapshot().Count("OtherTransaction/Route/GET /slow"));
        Assert.Equal(0, app.Snapshot().Count("WebTransaction"));
    }

    [Fact]
    public async Task BackgroundTask_AwaitUsing_FlowsAcrossAwaitAndEnds()
    {
        var (app, _) = TestApps.Create();

        await using (Agent.BackgroundTask(app, name: "async"))
        {
            await Task.Yield();
            Assert.Equal("async", Agent.CurrentTransaction?.Name);
            await Task.Run(() => Assert.Equal("async", Agent.CurrentTransaction?.Name));
        }

        Assert.Null(Agent.CurrentTransaction);
        Assert.Equal(1, app.Snapshot().Count("OtherTransaction/Function/async"));
    }

    [Fact]
    public void Dispose_Twice_RecordsOnce()
    {
        var (app, _) = TestApps.Create();

        TransactionScope scope = Agent.BackgroundTask(app, name: "twice");
        scope.Dispose();
        scope.Dispose();

        Assert.Equal(1, app.Snapshot().Count("OtherTransaction/all"));
    }

    [Fact]
    public async Task EndedTransaction_WorkStartedInside_RecordsNothingAfterEnd()
    {
        var (app, _) = TestApps.Create();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<(bool Renamed, bool Noticed, bool HasCurrent)> late;

        using (Agent.BackgroundTask(app, name: "short"))
        {
            late = Task.Run(async () =>
            {
                await release.Task;
                using (Agent.FunctionTrace("late"))
                {
                }

                return (Agent.SetTransactionName("renamed"), Agent.NoticeError(new InvalidOperationException()), Agent.CurrentTransaction is not null);
            });
        }

        release.SetResult();
        var result = await late.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal((false, false, false), result);
        MetricsSnapshot snapshot = app.Snapshot();
        Assert.Equal(1, snapshot.Count("OtherTransaction/Function/short"));
        Assert.Null(snapshot.Get("OtherTransaction/Function/renamed"));
        Assert.Null(snapshot.Get("Errors/all"));
        Assert.Null(snapshot.Get("Function/late"));
    }

    [Fact]
    public void BackgroundTask_NoName_UsesCallingMethod()
    {
        var (app, _) = TestApps.Create();

        using (Agent.BackgroundTask(app))
        {
        }

        Assert.Equal(1, app.Snapshot().Count(
            "OtherTransaction/Function/Afterward.Tests.BackgroundTaskScopeTests.BackgroundTask_NoName_UsesCallingMethod"));
    }

    [Fact]
    public void Snapshot_NothingRecorded_IsEmpty()
    {
        var (app, _) = TestApps.Create();

        MetricsSnapshot snapshot = app.Snapshot();

        Assert.True(snapshot.IsEmpty);
        Assert.Empty(snapshot.MetricNames);
        Assert.Null(snapshot.Get("OtherTransaction/all"));
        Assert.False(app.HasRecorded);
    }

    [Fact]
    public void SetTransactionName_WinsOverLaterFrameworkName()
    {
        var (app, _) = TestApps.Create();

        using (TransactionScope scope = TestApps.StartWeb(app))
        {
            Assert.True(Agent.SetTransactionName("checkout", "Custom"));
            scope.Transaction!.SetName("GET /other", "Route", NamePriority.Framework);
        }

        Assert.Equal(1, app.Snapshot().Count("WebTransaction/Custom/checkout"));
    }

    [Fact]
    public void IgnoreTransaction_RecordsNothing()
    {
        var (app, _) = TestApps.Create();

        using (Agent.BackgroundTask(app, name: "ignored"))
        {
            Assert.True(Agent.IgnoreTransaction());
        }

        Assert.True(app.Snapshot().IsEmpty);
    }
}
