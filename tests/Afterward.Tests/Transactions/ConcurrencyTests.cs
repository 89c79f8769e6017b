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
}
