using Microsoft.Extensions.Logging;

namespace Afterward.Tests;

public class MetricLimitsTests
{
    [Fact]
    public void TooLongTransaction_IsDroppedWithSupportabilityMetricAndWarning()
    {
        var logs = new ListLoggerProvider();
        var (app, time) = TestApps.Create(o =>
        {
            o.MaxTransactionDuration = TimeSpan.FromMinutes(20);
            o.LoggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        });

        using (Agent.BackgroundTask(app, name: "endless"))
        {
            time.Advance(TimeSpan.FromMinutes(21));
        }

        MetricsSnapshot snapshot = app.Snapshot();
        Assert.Equal(1, snapshot.Count("Supportability/Transaction/Dropped/TooLong"));
        Assert.Null(snapshot.Get("OtherTransaction/all"));
        Assert.Null(snapshot.Get("OtherTransaction/Function/endless"));
        string warning = Assert.Single(logs.Messages, m => m.Contains("MaxTransactionDuration", StringComparison.Ordinal));
        Assert.Contains("OtherTransaction/Function/endless", warning, StringComparison.Ordinal);
        Assert.Contains("Split the work", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void NameOverflow_RollsUpToStarAndWarnsOnce()
    {
        var logs = new ListLoggerProvider();
        var (app, _) = TestApps.Create(o =>
        {
            o.MaxTransactionNames = 3;
            o.LoggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        });

        for (int i = 0; i < 10; i++)
        {
            using (Agent.BackgroundTask(app, name: "job-" + i, group: "Task"))
            {
            }
        }

        MetricsSnapshot snapshot = app.Snapshot();
        Assert.Equal(1, snapshot.Count("OtherTransaction/Task/job-0"));
        Assert.Equal(1, snapshot.Count("OtherTransaction/Task/job-2"));
        Assert.Null(snapshot.Get("OtherTransaction/Task/job-3"));
        Assert.Equal(7, snapshot.Count("OtherTransaction/Task/*"));
        Assert.Equal(10, snapshot.Count("OtherTransaction/all"));
        Assert.Single(logs.Messages, m => m.Contains("MaxTransactionNames", StringComparison.Ordinal));
    }

    [Fact]
    public void HugeName_IsCappedAt255Characters()
    {
        var (app, _) = TestApps.Create();
        string huge = new('x', 10 * 1024);

        using (Agent.BackgroundTask(app, name: huge))
        {
        }

        string metric = Assert.Single(app.Snapshot().MetricNames, n => n.StartsWith("OtherTransaction/Function/", StringComparison.Ordinal));
        Assert.Equal("OtherTransaction/Function/" + new string('x', 255), metric);
    }

    [Fact]
    public void ControlCharacters_AreRemovedFromNamesAndGroups()
    {
        var (app, _) = TestApps.Create();

        using (Agent.BackgroundTask(app, name: "line\r\nbreak\t\0x", group: "Gr\u0007oup"))
        {
        }

        Assert.Equal(1, app.Snapshot().Count("OtherTransaction/Group/linebreakx"));
    }

    [Fact]
    public void EmptyName_IsUnnamed()
    {
        var (app, _) = TestApps.Create();

        using (Agent.BackgroundTask(app, name: ""))
        {
        }

        Assert.Equal(1, app.Snapshot().Count("OtherTransaction/Function/<unnamed>"));
    }
}
