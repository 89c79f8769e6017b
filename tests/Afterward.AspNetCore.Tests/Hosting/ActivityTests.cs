using System.Diagnostics;
using Microsoft.AspNetCore.Builder;

namespace Afterward.AspNetCore.Tests;

[CollectionDefinition(nameof(ActivityCollection), DisableParallelization = true)]
public sealed class ActivityCollection;

[Collection(nameof(ActivityCollection))]
public class ActivityTests
{
    [Fact]
    public async Task RequestActivity_IsEnrichedNotDuplicated_AndTaskActivityIsLinkedRoot()
    {
        var stopped = new List<Activity>();
        var taskDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Afterward" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (stopped) { stopped.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);
        await using var host = await TestHost.StartAsync(app => app.MapPost("/traced", (BackgroundTasks tasks) =>
        {
            tasks.AddTask(async () =>
            {
                await Task.Delay(300);
                taskDone.SetResult();
            }).WithName("traced-task");
            return "ok";
        }));

        await host.Client.PostAsync("/traced", null);
        await taskDone.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await host.StopAsync();

        Activity[] all;
        lock (stopped)
        {
            all = [.. stopped];
        }

        Activity request = Assert.Single(all, a => a.Kind == ActivityKind.Server);
        Assert.Equal("web", request.GetTagItem("afterward.transaction.kind"));
        Assert.Equal("WebTransaction/Route/POST /traced", request.GetTagItem("afterward.transaction.name"));
        Assert.DoesNotContain(all, a => a.Source.Name == "Afterward" && (string?)a.GetTagItem("afterward.transaction.kind") == "web");
        Activity task = Assert.Single(all, a => a.DisplayName == "OtherTransaction/Function/traced-task");
        Assert.Equal("background", task.GetTagItem("afterward.transaction.kind"));
        Assert.Equal(default, task.ParentSpanId);
        Assert.NotEqual(request.TraceId, task.TraceId);
        ActivityLink link = Assert.Single(task.Links);
        Assert.Equal(request.TraceId, link.Context.TraceId);
        Assert.Equal(request.SpanId, link.Context.SpanId);
        Assert.True(request.StartTimeUtc + request.Duration <= task.StartTimeUtc + task.Duration - TimeSpan.FromMilliseconds(250),
            "the request's activity must end well before its task's");
        Assert.True(request.Duration < task.Duration);
    }

    [Fact]
    public async Task FailingTask_WithARequestActivity_LoggedWithTheRequestsTraceId()
    {
        var requests = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (requests) { requests.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);
        await using var host = await TestHost.StartAsync(app => app.MapPost("/fails-later", (BackgroundTasks tasks) =>
        {
            tasks.AddTask(static () => throw new InvalidOperationException("later")).WithName("fails-later");
            return "ok";
        }));

        await host.Client.PostAsync("/fails-later", null);
        await host.StopAsync();

        Activity request;
        lock (requests)
        {
            request = Assert.Single(requests, a => a.Kind == ActivityKind.Server && a.DisplayName.Contains("/fails-later", StringComparison.Ordinal));
        }

        var logged = Assert.Single(host.Logs.Entries, e => e.EventId == 2001);
        Assert.Contains(request.TraceId.ToHexString(), logged.Message, StringComparison.Ordinal);
    }
}
