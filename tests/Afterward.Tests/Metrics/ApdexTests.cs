namespace Afterward.Tests;

public class ApdexTests
{
    private static readonly TimeSpan T = TimeSpan.FromMilliseconds(500);

    [Theory]
    [InlineData(500, "satisfying")]
    [InlineData(501, "tolerating")]
    [InlineData(2000, "tolerating")]
    [InlineData(2001, "frustrating")]
    public void WebTransaction_Duration_FallsInZone(int milliseconds, string zone)
    {
        var (app, time) = TestApps.Create(o => o.ApdexThreshold = T);

        using (TestApps.StartWeb(app))
        {
            time.Advance(TimeSpan.FromMilliseconds(milliseconds));
        }

        ApdexStats apdex = app.Snapshot().GetApdex("Apdex")!;
        Assert.Equal(zone == "satisfying" ? 1 : 0, apdex.Satisfying);
        Assert.Equal(zone == "tolerating" ? 1 : 0, apdex.Tolerating);
        Assert.Equal(zone == "frustrating" ? 1 : 0, apdex.Frustrating);
        Assert.Equal(T, apdex.Threshold);
        Assert.Equal(apdex, app.Snapshot().GetApdex("Apdex/Route/GET /x"));
    }

    [Fact]
    public void WebTransaction_Error_IsFrustratingAndCounted()
    {
        var (app, _) = TestApps.Create();

        using (TestApps.StartWeb(app))
        {
            Agent.NoticeError(new InvalidOperationException("boom"));
        }

        MetricsSnapshot snapshot = app.Snapshot();
        Assert.Equal(1, snapshot.GetApdex("Apdex")!.Frustrating);
        Assert.Equal(1, snapshot.Count("Errors/all"));
        Assert.Equal(1, snapshot.Count("Errors/allWeb"));
        Assert.Equal(1, snapshot.Count("Errors/WebTransaction/Route/GET /x"));
        Assert.Null(snapshot.Get("Errors/allOther"));
    }

    [Fact]
    public void WebTransaction_Suppressed_HasNoApdex()
    {
        var (app, _) = TestApps.Create();

        using (TestApps.StartWeb(app))
        {
            Assert.True(Agent.SuppressApdex());
        }

        MetricsSnapshot snapshot = app.Snapshot();
        Assert.Equal(1, snapshot.Count("WebTransaction"));
        Assert.Null(snapshot.GetApdex("Apdex"));
        Assert.Null(snapshot.GetApdex("Apdex/Route/GET /x"));
    }

    [Fact]
    public void BackgroundTransaction_HasNoApdex()
    {
        var (app, time) = TestApps.Create();

        using (Agent.BackgroundTask(app, name: "slow"))
        {
            time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.Empty(app.Snapshot().ApdexNames);
    }

    [Fact]
    public void Score_IsSatisfyingPlusHalfToleratingOverTotal()
    {
        var (app, time) = TestApps.Create(o => o.ApdexThreshold = T);
        foreach (int ms in new[] { 100, 100, 1000, 5000 })
        {
            using (TestApps.StartWeb(app))
            {
                time.Advance(TimeSpan.FromMilliseconds(ms));
            }
        }

        Assert.Equal((2 + 0.5) / 4, app.Snapshot().GetApdex("Apdex")!.Score);
    }
}
