using Afterward.Transactions;
using Microsoft.Extensions.Time.Testing;

namespace Afterward.Tests.Metrics;

public class MetricAggregatorTests
{
    [Fact]
    public void Record_DurationsFromTheFakeClock_ExactStats()
    {
        (Application app, FakeTimeProvider time) = TestApps.Create();
        foreach (int ms in (int[])[100, 300])
        {
            Transaction transaction = app.StartTransaction(TransactionKind.Background, "job", "Task");
            time.Advance(TimeSpan.FromMilliseconds(ms));
            transaction.End();
        }

        MetricStats stats = app.Snapshot().Get("OtherTransaction/Task/job")!;

        Assert.Equal(2, stats.CallCount);
        Assert.Equal(TimeSpan.FromMilliseconds(400), stats.Total);
        Assert.Equal(TimeSpan.FromMilliseconds(100), stats.Min);
        Assert.Equal(TimeSpan.FromMilliseconds(300), stats.Max);
        Assert.Equal(0.1 * 0.1 + 0.3 * 0.3, stats.SumOfSquares, 9);
    }

    [Fact]
    public void Resolve_PastMaxTransactionNames_RollsUpPerGroup()
    {
        (Application app, _) = TestApps.Create(o => o.MaxTransactionNames = 2);

        string[] names = [.. Enumerable.Range(0, 4).Select(i => app.Metrics.Resolve(TransactionKind.Background, "Task", "job-" + i).MetricName)];

        Assert.Equal(["OtherTransaction/Task/job-0", "OtherTransaction/Task/job-1", "OtherTransaction/Task/*", "OtherTransaction/Task/*"], names);
    }

    [Fact]
    public void Harvest_TimerOfTheFakeClock_StoresDeltas()
    {
        (Application app, FakeTimeProvider time) = TestApps.Create(o => o.HarvestInterval = TimeSpan.FromSeconds(10));
        Transaction transaction = app.StartTransaction(TransactionKind.Background, "job", "Task");
        transaction.End();

        time.Advance(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(2, app.RecentHarvests.Count);
        Assert.Equal(1, app.RecentHarvests[0].Count("OtherTransaction/Task/job"));
        Assert.Equal(0, app.RecentHarvests[1].Count("OtherTransaction/Task/job"));
    }
}
