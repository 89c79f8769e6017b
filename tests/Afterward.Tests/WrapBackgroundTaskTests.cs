namespace Afterward.Tests;

public class WrapBackgroundTaskTests
{
    [Fact]
    public void Wrap_Action_RunsAsBackgroundTaskNamedAfterMethod()
    {
        var (app, _) = TestApps.Create();
        int received = 0;
        Action<int> wrapped = Agent.WrapBackgroundTask<int>(value => received = value, app, name: "set");

        wrapped(42);

        Assert.Equal(42, received);
        Assert.Equal(1, app.Snapshot().Count("OtherTransaction/Function/set"));
    }

    [Fact]
    public void Wrap_Func_ReturnsResultAndDefaultsToCallableName()
    {
        var (app, _) = TestApps.Create();
        Func<int, int, int> add = Agent.WrapBackgroundTask<int, int, int>(Jobs.Add, app);

        Assert.Equal(5, add(2, 3));
        Assert.Equal(1, app.Snapshot().Count("OtherTransaction/Function/Afterward.Tests.Jobs.Add"));
    }

    [Fact]
    public void Wrap_SyncThrows_RecordsErrorAndRethrows()
    {
        var (app, _) = TestApps.Create();
        Action wrapped = Agent.WrapBackgroundTask(new Action(() => throw new InvalidOperationException("bad")), app, name: "fails");

        var thrown = Assert.Throws<InvalidOperationException>(wrapped);

        Assert.Equal("bad", thrown.Message);
        MetricsSnapshot snapshot = app.Snapshot();
        Assert.Equal(1, snapshot.Count("Errors/all"));
        Assert.Equal(1, snapshot.Count("Errors/allOther"));
        Assert.Equal(1, snapshot.Count("Errors/OtherTransaction/Function/fails"));
        Assert.Equal(1, snapshot.Count("OtherTransaction/Function/fails"));
    }

    [Fact]
    public async Task Wrap_Task_TimedUntilCompletion()
    {
        var (app, time) = TestApps.Create();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<Task> wrapped = Agent.WrapBackgroundTask(async () => await gate.Task, app, name: "waits");

        Task running = wrapped();
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.True(app.Snapshot().IsEmpty);
        gate.SetResult();
        await running;

        Assert.Equal(TimeSpan.FromSeconds(3), app.Snapshot().Get("OtherTransaction/Function/waits")!.Total);
    }

    [Fact]
    public async Task WrapTaskOfT_ThrowsAsync_RecordsErrorAndRethrows()
    {
        var (app, _) = TestApps.Create();
        Func<string, Task<int>> wrapped = Agent.WrapBackgroundTask<string, int>(async text =>
        {
            await Task.Yield();
            throw new FormatException(text);
        }, app, name: "parse");

        var thrown = await Assert.ThrowsAsync<FormatException>(() => wrapped("x"));

        Assert.Equal("x", thrown.Message);
        Assert.Equal(1, app.Snapshot().Count("Errors/OtherTransaction/Function/parse"));
    }

    [Fact]
    public async Task Wrap_ValueTaskOfT_ReturnsResult()
    {
        var (app, _) = TestApps.Create();
        Func<int, int, int, int, ValueTask<int>> sum = async (a, b, c, d) =>
        {
            await Task.Yield();
            return a + b + c + d;
        };
        Func<int, int, int, int, ValueTask<int>> wrapped = Agent.WrapBackgroundTask(sum, app, name: "sum", group: "Task");

        Assert.Equal(10, await wrapped(1, 2, 3, 4));
        Assert.Equal(1, app.Snapshot().Count("OtherTransaction/Task/sum"));
    }

    [Fact]
    public async Task Wrap_ValueTask_Succeeds()
    {
        var (app, _) = TestApps.Create();
        Func<ValueTask> wrapped = Agent.WrapBackgroundTask(() => ValueTask.CompletedTask, app, name: "vt");

        await wrapped();

        Assert.Equal(1, app.Snapshot().Count("OtherTransaction/Function/vt"));
    }

    [Fact]
    public void Wrap_AttributedMethod_TakesNameAndGroupFromAttribute()
    {
        var (app, _) = TestApps.Create();

        Agent.WrapBackgroundTask(Jobs.Rebuild, app)();

        Assert.Equal(1, app.Snapshot().Count("OtherTransaction/Task/rebuild"));
    }

    [Fact]
    public void Wrap_InsideWebTransaction_Reclassifies()
    {
        var (app, _) = TestApps.Create();

        using (TestApps.StartWeb(app))
        {
            Agent.WrapBackgroundTask(() => { }, app, name: "inline")();
        }

        Assert.Equal(1, app.Snapshot().Count("OtherTransaction/Function/inline"));
        Assert.Null(app.Snapshot().Get("WebTransaction"));
    }

    [Fact]
    public void Wrap_NullDelegate_ThrowsAtCallSite()
    {
        Assert.Throws<ArgumentNullException>(() => Agent.WrapBackgroundTask((Action)null!));
        Assert.Throws<ArgumentNullException>(() => Agent.WrapBackgroundTask((Func<Task>)null!));
        Assert.Throws<ArgumentNullException>(() => Agent.CallableName(null!));
    }
}

internal static class Jobs
{
    public static int Add(int a, int b) => a + b;

    [BackgroundTask(Name = "rebuild", Group = "Task")]
    public static void Rebuild()
    {
    }
}
