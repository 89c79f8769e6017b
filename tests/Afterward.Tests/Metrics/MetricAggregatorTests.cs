using Afterward.Metrics;
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

    [Fact]
    public void Rollups_AreTheSumsOfTheirKindsNames_InTotalsAndHarvestDeltas()
    {
        (Application app, FakeTimeProvider time) = TestApps.Create(o => o.ApdexThreshold = TimeSpan.FromMilliseconds(100));
        Record(app, time, TransactionKind.Web, "GET /a", 50);
        Record(app, time, TransactionKind.Web, "GET /b", 300, fail: true);
        Record(app, time, TransactionKind.Background, "job", 700);

        MetricsSnapshot first = app.Harvest();
        Record(app, time, TransactionKind.Web, "GET /a", 20);
        MetricsSnapshot second = app.Harvest();
        MetricsSnapshot totals = app.Snapshot();

        MetricStats web = first.Get("WebTransaction")!;
        Assert.Equal(2, web.CallCount);
        Assert.Equal(TimeSpan.FromMilliseconds(350), web.Total);
        Assert.Equal(TimeSpan.FromMilliseconds(50), web.Min);
        Assert.Equal(TimeSpan.FromMilliseconds(300), web.Max);
        Assert.Equal(web, first.Get("HttpDispatcher"));
        Assert.Equal(1, first.GetApdex("Apdex")!.Satisfying);
        Assert.Equal(1, first.GetApdex("Apdex")!.Frustrating);
        Assert.Equal(1, first.Count("Errors/allWeb"));
        Assert.Equal(1, first.Count("Errors/all"));
        Assert.Equal(1, first.Count("OtherTransaction/all"));
        Assert.Equal(TimeSpan.FromMilliseconds(700), first.Get("OtherTransaction/all")!.Total);
        Assert.Null(first.Get("Errors/allOther"));

        Assert.Equal(1, second.Count("WebTransaction"));
        Assert.Equal(TimeSpan.FromMilliseconds(20), second.Get("WebTransaction")!.Total);
        Assert.Null(second.Get("OtherTransaction/all"));
        Assert.Null(second.Get("Errors/all"));

        Assert.Equal(3, totals.Count("WebTransaction"));
        Assert.Equal(TimeSpan.FromMilliseconds(20), totals.Get("WebTransaction")!.Min);
        Assert.Equal(2, totals.GetApdex("Apdex")!.Satisfying);
    }

    [Fact]
    public void SlowTraces_SteadyTraffic_KeepsTheSlowest_AndExpiresAfter30Minutes()
    {
        var traces = new SlowTraces();
        DateTimeOffset start = DateTimeOffset.UnixEpoch;
        foreach (int ms in (int[])[50, 10, 40, 20, 30])
        {
            Assert.True(traces.Qualifies(Ticks(ms), start));
            traces.Add(Sample(start, ms));
        }

        Assert.False(traces.Qualifies(Ticks(10), start.AddMinutes(1)));
        Assert.False(traces.Qualifies(Ticks(5), start.AddMinutes(1)));
        Assert.True(traces.Qualifies(Ticks(11), start.AddMinutes(1)));
        traces.Add(Sample(start.AddMinutes(1), 11));
        Assert.Equal([50, 40, 30, 20, 11], traces.Snapshot(start.AddMinutes(1)).Select(s => (int)s.DurationMs));
        Assert.False(traces.Qualifies(Ticks(11), start.AddMinutes(2)));

        // Past 30 minutes the first five expire: any duration makes the list again.
        Assert.True(traces.Qualifies(Ticks(1), start.AddMinutes(30.5)));
        Assert.Equal([11], traces.Snapshot(start.AddMinutes(30.5)).Select(s => (int)s.DurationMs));

        static long Ticks(int ms) => TimeSpan.FromMilliseconds(ms).Ticks;
        static TraceSample Sample(DateTimeOffset at, int ms) => new(at, ms, false, null, []);
    }

    private static void Record(Application app, FakeTimeProvider time, TransactionKind kind, string name, int ms, bool fail = false)
    {
        Transaction transaction = app.StartTransaction(kind, name, kind == TransactionKind.Web ? "Route" : "Task");
        time.Advance(TimeSpan.FromMilliseconds(ms));
        if (fail)
        {
            transaction.NoticeError(new InvalidOperationException("boom"));
        }

        transaction.End();
    }
}
