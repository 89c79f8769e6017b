using Microsoft.Extensions.Time.Testing;
using Afterward.Tasks;
using Afterward.Transactions;

namespace Afterward.Tests;

/// <summary>What a transaction or a failure keeps is bounded, whatever the application does (issue 15).</summary>
public class BoundsTests
{
    [Theory]
    [InlineData(Transaction.MaxSegments + 1)]
    [InlineData(5000)]
    public void Segments_PastTheCap_DroppedFromTheTraceMetricsExact(int segments)
    {
        (Application app, FakeTimeProvider time) = TestApps.Create();
        using (TransactionScope scope = Agent.BackgroundTask(app, name: "many", group: "Task"))
        {
            time.Advance(TimeSpan.FromMilliseconds(3));
            for (int i = 0; i < segments; i++)
            {
                using SegmentScope segment = Agent.FunctionTrace("step");
                time.Advance(TimeSpan.FromMilliseconds(1));
            }
        }

        MetricsSnapshot snapshot = app.Snapshot();
        Assert.Equal(segments, snapshot.Get("Function/step")?.CallCount);
        // Dropped from the trace, the segments still count toward the transaction's exclusive time.
        Assert.Equal(TimeSpan.FromMilliseconds(3), snapshot.Get("OtherTransaction/Task/many")!.Exclusive);
        Assert.Equal(segments - Transaction.MaxSegments, snapshot.Get(TransactionRecorder.DroppedSegmentsMetric)?.CallCount);
    }

    [Fact]
    public void FailureMessage_Huge_TruncatedForDisplay()
    {
        (string type, string message) = TaskAccounting.Describe(new InvalidOperationException(new string('m', 5_000_000)));

        Assert.Equal("System.InvalidOperationException", type);
        Assert.True(message.Length <= TaskAccounting.MaxMessageLength + 1, $"{message.Length} characters kept");
    }

    [Fact]
    public void FailureMessage_ThatThrows_Described()
    {
        (string type, string message) = TaskAccounting.Describe(new Unreadable());

        Assert.EndsWith("Unreadable", type, StringComparison.Ordinal);
        Assert.Contains("threw", message, StringComparison.Ordinal);
    }

    private sealed class Unreadable : Exception
    {
        public override string Message => throw new InvalidOperationException("no");
    }
}
