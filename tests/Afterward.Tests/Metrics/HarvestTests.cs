namespace Afterward.Tests;

public class HarvestTests
{
    [Fact]
    public void HarvestTimer_ProducesPerIntervalDeltas()
    {
        var (app, time) = TestApps.Create(o => o.HarvestInterval = TimeSpan.FromSeconds(10));
        var harvested = new List<MetricsSnapshot>();
        app.Harvested += harvested.Add;

        for (int i = 0; i < 3; i++)
        {
            using (Agent.BackgroundTask(app, name: "tick"))
            {
            }
        }

        time.Advance(TimeSpan.FromSeconds(10));
        using (Agent.BackgroundTask(app, name: "tick"))
        {
        }

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(2, harvested.Count);
        Assert.Equal(3, harvested[0].Count("OtherTransaction/Function/tick"));
        Assert.Equal(1, harvested[1].Count("OtherTransaction/Function/tick"));
        Assert.Equal(TimeSpan.FromSeconds(10), harvested[1].End - harvested[1].Start);
        Assert.Equal(4, app.Snapshot().Count("OtherTransaction/Function/tick"));
        Assert.Equal(2, app.RecentHarvests.Count);
    }

    [Fact]
    public void Harvest_ThrowingHandler_DoesNotBreakHarvest()
    {
        var (app, _) = TestApps.Create();
        app.Harvested += _ => throw new InvalidOperationException("handler");

        using (Agent.BackgroundTask(app, name: "x"))
        {
        }

        MetricsSnapshot delta = app.Harvest();

        Assert.Equal(1, delta.Count("OtherTransaction/all"));
        Assert.Equal(1, app.Snapshot().Count("OtherTransaction/all"));
    }
}
