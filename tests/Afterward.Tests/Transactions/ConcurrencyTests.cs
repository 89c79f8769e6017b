namespace Afterward.Tests;

public class ConcurrencyTests
{
    [Fact]
    public async Task EightThreads_TenThousandTransactionsEach_CountsAreExact()
    {
        var (app, _) = TestApps.Create();
        using var start = new Barrier(8);

        Task[] threads = [.. Enumerable.Range(0, 8).Select(t => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < 10_000; i++)
            {
                using (Agent.BackgroundTask(app, name: "job-" + (i % 4)))
                {
                    using (Agent.FunctionTrace("step"))
                    {
                    }
                }

                using (TestApps.StartWeb(app, "GET /t" + t))
                {
                }
            }
        }, TaskCreationOptions.LongRunning))];
        await Task.WhenAll(threads).WaitAsync(TimeSpan.FromMinutes(2));

        MetricsSnapshot snapshot = app.Snapshot();
        Assert.Equal(80_000, snapshot.Count("OtherTransaction/all"));
        Assert.Equal(80_000, snapshot.Count("WebTransaction"));
        Assert.Equal(80_000, snapshot.Count("Function/step"));
        Assert.Equal(20_000, snapshot.Count("OtherTransaction/Function/job-3"));
        Assert.Equal(10_000, snapshot.Count("WebTransaction/Route/GET /t7"));
        Assert.Equal(80_000, snapshot.GetApdex("Apdex")!.Count);
    }

    [Fact]
    public async Task AddTaskRacingTheResponse_EveryTaskIsTakenOrRefused_NoneLost()
    {
        var (app, _) = TestApps.Create();
        var task = new Afterward.Tasks.DelegateTask<object?>(() => { }, null, static (_, _, _, _) => ValueTask.CompletedTask);
        for (int round = 0; round < 300; round++)
        {
            Transaction transaction = app.StartTransaction(TransactionKind.Web, "GET /x", "Route");
            transaction.AcceptTasks();
            int accepted = 0, refused = 0;
            using var go = new Barrier(3);
            Task[] adders = [.. Enumerable.Range(0, 2).Select(_ => Task.Factory.StartNew(() =>
            {
                go.SignalAndWait();
                for (int i = 0; i < 50; i++)
                {
                    try
                    {
                        Assert.True(transaction.AddTask(task));
                        Interlocked.Increment(ref accepted);
                    }
                    catch (InvalidOperationException)
                    {
                        Interlocked.Increment(ref refused);
                    }
                }
            }, TaskCreationOptions.LongRunning))];

            go.SignalAndWait();
            List<Afterward.Tasks.TaskItem>? taken = transaction.TakeTasks();
            await Task.WhenAll(adders).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(100, accepted + refused);
            Assert.Equal(accepted, taken?.Count ?? 0);
            Assert.False(transaction.AcceptsTasks);
            Assert.Null(transaction.TakeTasks());
            transaction.End();
        }
    }
}
