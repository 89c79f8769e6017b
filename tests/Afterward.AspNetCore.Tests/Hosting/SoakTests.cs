using Afterward.Soak;

namespace Afterward.AspNetCore.Tests;

/// <summary>
/// Ten seconds of the soak run (the committed two-minute figures are in benchmarks/results/soak.md). Checks counts
/// and memory, never speed. In the non-parallel collection, which runs alone, so the heap is this test's.
/// </summary>
[Collection(nameof(ActivityCollection))]
public class SoakTests
{
    [Fact]
    public async Task TenSecondsOfLoad_EveryScheduledTaskCompletes_MemoryStaysBounded()
    {
        SoakResult result = await SoakRun.RunAsync(TimeSpan.FromSeconds(10), connections: 16);

        Assert.True(result.Requests > 1000, $"only {result.Requests} requests: the run did not load the server");
        Assert.Equal(0, result.Errors);
        Assert.Equal(result.TasksScheduled, result.TasksCompleted);
        Assert.Equal(0, result.TasksFailed);
        Assert.Equal(0, result.TasksAbandoned);

        // Live heap after a full collection: what the agent keeps must not grow with the number of requests.
        MemorySample start = result.Memory[0], middle = result.Memory[1], end = result.Memory[2];
        const long Slack = 16L * 1024 * 1024;
        Assert.True(middle.GcHeapBytes < start.GcHeapBytes + Slack, $"GC heap grew from {start.GcHeapBytes} to {middle.GcHeapBytes} bytes by the middle");
        Assert.True(end.GcHeapBytes < middle.GcHeapBytes + Slack, $"GC heap grew from {middle.GcHeapBytes} to {end.GcHeapBytes} bytes by the end");
    }
}
