using System.Collections.Concurrent;
using Afterward.Tasks;
using Microsoft.Extensions.Time.Testing;

namespace Afterward.Tests.Tasks;

public class WorkerSlotTests
{
    [Fact]
    public void FollowUpChain_TasksThatRan_AreNotKept()
    {
        var slot = new WorkerSlot();
        slot.BeginBatch([Item("first")]);
        for (int step = 0; step < 1000; step++)
        {
            Assert.True(slot.TryTakeNext(out TaskItem item, out _));
            slot.BeginTask(item.Identity.Name, 0);
            slot.EndTask();
            slot.Append([Item("step-" + step)]);
        }

        var names = new ConcurrentQueue<string>();
        (int running, int queued) = slot.Report(names);

        // A chain of 1,000 follow-ups costs what is pending (one task), not what has run.
        Assert.Equal(0, running);
        Assert.Equal(1, queued);
        Assert.Equal(["step-999"], names);
    }

    [Fact]
    public void Report_RunningAndRest_NamedOnceThenNotCountedAgain()
    {
        var slot = new WorkerSlot();
        slot.BeginBatch([Item("a"), Item("b"), Item("c")]);
        Assert.True(slot.TryTakeNext(out TaskItem current, out int index));
        slot.BeginTask(current.Identity.Name, 0);
        var names = new ConcurrentQueue<string>();

        (int running, int queued) = slot.Report(names);
        (int runningAgain, int queuedAgain) = slot.Report(names);

        Assert.Equal(0, index);
        Assert.Equal((1, 2), (running, queued));
        Assert.Equal((0, 0), (runningAgain, queuedAgain));
        Assert.Equal(["a", "b", "c"], names);
        Assert.False(slot.EndTask());
        Assert.False(slot.TryTakeNext(out _, out _));
    }

    [Fact]
    public void ShouldWarn_PastThreshold_OncePerTask()
    {
        var time = new FakeTimeProvider();
        var slot = new WorkerSlot();
        slot.BeginBatch([Item("slow")]);
        slot.TryTakeNext(out _, out _);
        slot.BeginTask("slow", time.GetTimestamp());

        string? early = slot.ShouldWarn(time.GetTimestamp(), TimeSpan.FromSeconds(30), time);
        time.Advance(TimeSpan.FromSeconds(31));
        string? late = slot.ShouldWarn(time.GetTimestamp(), TimeSpan.FromSeconds(30), time);
        string? again = slot.ShouldWarn(time.GetTimestamp(), TimeSpan.FromSeconds(30), time);

        Assert.Null(early);
        Assert.Equal("slow", late);
        Assert.Null(again);
    }

    private static TaskItem Item(string name)
    {
        TaskItem item = TaskItem.FromInvoker(() => { }, static (_, _) => default);
        item.Name = name;
        return item;
    }
}
