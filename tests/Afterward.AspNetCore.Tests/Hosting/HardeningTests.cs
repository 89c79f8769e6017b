using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Afterward.AspNetCore.Tests;

/// <summary>What an adversarial probe broke (issue 15), each as a class of inputs.</summary>
public class HardeningTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    public static TheoryData<string, object> UnprintableItems => new()
    {
        { AfterwardKeys.AppName, new Unprintable() },
        { AfterwardKeys.SetBackgroundTask, new Unprintable() },
        { AfterwardKeys.IgnoreTransaction, new Unprintable() },
        { AfterwardKeys.SuppressApdex, new Unprintable() },
        { AfterwardKeys.AppName, 42 },
    };

    [Theory]
    [MemberData(nameof(UnprintableItems))]
    public async Task ItemsValue_WhoseToStringThrows_TasksStillRun(string key, object value)
    {
        var ran = new TaskCompletionSource();
        await using TestHost host = await TestHost.StartAsync(app => app.MapGet("/x", (HttpContext context, BackgroundTasks tasks) =>
        {
            context.Items[key] = value;
            tasks.AddTask(() => ran.TrySetResult());
            return "ok";
        }));

        using HttpResponseMessage response = await host.Client.GetAsync("/x");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await ran.Task.WaitAsync(Wait);
        var warning = await host.Logs.WaitForAsync(e => e.EventId == 3001, Wait);
        Assert.Contains(key, warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task HandledFailure_UseExceptionHandlerInsideUseAfterward_TasksSkipped(bool throwAsync)
    {
        bool ran = false;
        await using TestHost host = await TestHost.StartAsync(app =>
        {
            app.MapGet("/fails", async (BackgroundTasks tasks) =>
            {
                tasks.AddTask(() => ran = true);
                if (throwAsync)
                {
                    await Task.Yield();
                }

                throw new InvalidOperationException("handler failed");
            });
        }, afterAfterward: app => app.UseExceptionHandler(error => error.Run(context =>
        {
            context.Response.StatusCode = 500;
            return context.Response.WriteAsync("handled");
        })));

        using HttpResponseMessage response = await host.Client.GetAsync("/fails");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var skipped = await host.Logs.WaitForAsync(e => e.EventId == 2002, Wait);
        Assert.Contains("1 background task", skipped.Message, StringComparison.Ordinal);
        await host.StopAsync();
        Assert.False(ran);
        Assert.Equal(1, host.Application.TaskCounters.Skipped);
        Assert.Equal(1, host.Snapshot().Get("Errors/WebTransaction/Route/GET /fails")?.CallCount);
    }

    [Fact]
    public async Task UnknownMethods_NamedOther_BackgroundNamesKeepTheirBudget()
    {
        var ran = new TaskCompletionSource();
        await using TestHost host = await TestHost.StartAsync(app =>
        {
            app.MapFallback(() => "fallback");
            app.MapGet("/task", (BackgroundTasks tasks) => tasks.AddTask(() => ran.TrySetResult()).WithName("after-the-flood"));
        }, o => o.MaxTransactionNames = 5);

        for (int i = 0; i < 30; i++)
        {
            using var request = new HttpRequestMessage(new HttpMethod("M" + i), "/anything");
            using HttpResponseMessage response = await host.Client.SendAsync(request);
        }

        using HttpResponseMessage task = await host.Client.GetAsync("/task");
        await ran.Task.WaitAsync(Wait);
        await host.StopAsync();

        // The handler returned the ScheduledTask: it serializes as an empty object, whatever carries it inside.
        Assert.Equal("{}", await task.Content.ReadAsStringAsync());
        MetricsSnapshot snapshot = host.Snapshot();
        Assert.Equal(30, snapshot.Get("WebTransaction/Route/_OTHER /{*path:nonfile}")?.CallCount);
        Assert.DoesNotContain(snapshot.MetricNames, n => n.Contains(" M1", StringComparison.Ordinal));
        Assert.Equal(1, snapshot.Get("OtherTransaction/Function/after-the-flood")?.CallCount);
    }

    [Fact]
    public async Task ManyInvalidAppNames_WarnedWithinTheirBudget_OtherWarningsStillLogged()
    {
        await using TestHost host = await TestHost.StartAsync(app =>
        {
            app.MapGet("/bad/{n}", (int n, HttpContext context) =>
            {
                context.Items[AfterwardKeys.AppName] = new string('x', 300) + n;
                return "ok";
            });
            app.MapGet("/route/{n}", (int n) => Agent.SetTransactionName("name-" + n));
        }, o => o.MaxTransactionNames = 3);

        for (int i = 0; i < 200; i++)
        {
            using HttpResponseMessage response = await host.Client.GetAsync("/bad/" + i);
        }

        for (int i = 0; i < 10; i++)
        {
            using HttpResponseMessage response = await host.Client.GetAsync("/route/" + i);
        }

        await host.StopAsync();
        Assert.InRange(host.Logs.Entries.Count(e => e.EventId == 3001), 1, 20);
        Assert.Contains(host.Logs.Entries, e => e.EventId == 1002);
    }

    private sealed class Unprintable
    {
        public override string ToString() => throw new InvalidOperationException("ToString throws");
    }
}
