using System.Diagnostics;

namespace Afterward.Tests;

[CollectionDefinition(nameof(ActivityListenerCollection), DisableParallelization = true)]
public sealed class ActivityListenerCollection;

[Collection(nameof(ActivityListenerCollection))]
public class ActivityTests
{
    [Fact]
    public void WithListener_BackgroundTransactionAndSegment_AreActivitiesWithTags()
    {
        var (app, _) = TestApps.Create();
        var stopped = new List<Activity>();
        using var listener = Listen(stopped);

        using (Agent.BackgroundTask(app, name: "Nightly.Run", group: "Task"))
        {
            using (Agent.FunctionTrace("Step"))
            {
            }
        }

        Activity transaction = Assert.Single(stopped, a => a.DisplayName == "OtherTransaction/Task/Nightly.Run");
        Assert.Equal("background", transaction.GetTagItem("afterward.transaction.kind"));
        Assert.Equal("OtherTransaction/Task/Nightly.Run", transaction.GetTagItem("afterward.transaction.name"));
        Assert.Equal(ActivityKind.Consumer, transaction.Kind);
        Activity segment = Assert.Single(stopped, a => a.DisplayName == "Function/Step");
        Assert.Equal(ActivityKind.Internal, segment.Kind);
        Assert.Equal(transaction.SpanId, segment.ParentSpanId);
    }

    [Fact]
    public void WithListener_ReclassifiedTransaction_ActivityCarriesFinalKindAndName()
    {
        var (app, _) = TestApps.Create();
        var stopped = new List<Activity>();
        using var listener = Listen(stopped);

        using (TestApps.StartWeb(app, "GET /reports"))
        {
            Agent.SetBackgroundTask();
            Agent.AddCustomAttribute("report.id", 7);
            Agent.NoticeError(new InvalidOperationException("late"));
        }

        Activity activity = Assert.Single(stopped);
        Assert.Equal("background", activity.GetTagItem("afterward.transaction.kind"));
        Assert.Equal("OtherTransaction/Route/GET /reports", activity.GetTagItem("afterward.transaction.name"));
        Assert.Equal(7, activity.GetTagItem("report.id"));
        Assert.Equal(ActivityStatusCode.Error, activity.Status);
    }

    [Fact]
    public void WithoutListener_NoActivityIsCreated()
    {
        var (app, _) = TestApps.Create();
        Assert.False(AfterwardDiagnostics.Source.HasListeners());

        using (TransactionScope scope = Agent.BackgroundTask(app, name: "quiet"))
        {
            using (Agent.FunctionTrace("Step"))
            {
                Assert.Null(Activity.Current);
            }

            Assert.Null(scope.Transaction!.Activity);
            Assert.Null(Activity.Current);
        }

        Assert.Equal(1, app.Snapshot().Count("OtherTransaction/Function/quiet"));
    }

    private static ActivityListener Listen(List<Activity> stopped)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Afterward",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (stopped)
                {
                    stopped.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
