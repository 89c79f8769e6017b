using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Afterward.AspNetCore.Tests;

public class WebTransactionTests
{
    [Fact]
    public async Task MinimalApiRoutes_AreNamedByMethodAndPattern_WithApdex()
    {
        await using var host = await TestHost.StartAsync(app =>
        {
            app.MapPost("/process/{item_id}", (int item_id) => item_id);
            app.MapGet("/boom", () => Results.StatusCode(503));
        });

        await host.Client.PostAsync("/process/1", null);
        await host.Client.PostAsync("/process/2", null);
        await host.Client.GetAsync("/boom");

        MetricsSnapshot snapshot = host.Snapshot();
        Assert.Equal(2, snapshot.Get("WebTransaction/Route/POST /process/{item_id}")?.CallCount);
        Assert.Equal(3, snapshot.Get("WebTransaction")?.CallCount);
        Assert.Equal(3, snapshot.Get("HttpDispatcher")?.CallCount);
        Assert.Equal(2, snapshot.GetApdex("Apdex/Route/POST /process/{item_id}")?.Satisfying);
        Assert.Equal(1, snapshot.GetApdex("Apdex/Route/GET /boom")?.Frustrating);
        Assert.Equal(1, snapshot.Get("Errors/WebTransaction/Route/GET /boom")?.CallCount);
        Assert.DoesNotContain(snapshot.MetricNames, n => n.Contains("/process/1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MvcAction_IsNamedByControllerAndAction_AndBackgroundTaskAttributeMakesItNonWeb()
    {
        await using var host = await TestHost.StartAsync(
            app => app.MapControllers(),
            services: s => s.AddControllers().AddApplicationPart(typeof(OrdersController).Assembly));

        Assert.Equal("7", await host.Client.GetStringAsync("/orders/7"));
        Assert.Equal("report", await host.Client.GetStringAsync("/orders/report"));

        MetricsSnapshot snapshot = host.Snapshot();
        Assert.Equal(1, snapshot.Get("WebTransaction/MVC/Orders/Get")?.CallCount);
        Assert.Equal(1, snapshot.Get("OtherTransaction/MVC/Orders/Report")?.CallCount);
        Assert.Null(snapshot.GetApdex("Apdex/MVC/Orders/Report"));
    }

    [Fact]
    public async Task UnmatchedRequest_IsNamedByStatusCode_NeverByPath()
    {
        await using var host = await TestHost.StartAsync(_ => { });

        HttpResponseMessage response = await host.Client.GetAsync("/no/such/page?id=1");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        MetricsSnapshot snapshot = host.Snapshot();
        Assert.Equal(1, snapshot.Get("WebTransaction/StatusCode/404")?.CallCount);
        Assert.DoesNotContain(snapshot.MetricNames, n => n.Contains("such", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("on", true)]
    [InlineData(" ON ", true)]
    [InlineData("1", true)]
    [InlineData("false", false)]
    [InlineData("garbage", false)]
    public async Task SetBackgroundTaskItem_StringValues_FollowParsingRules(string value, bool background)
    {
        await using var host = await TestHost.StartAsync(app => app.MapGet("/flag", (HttpContext context) =>
        {
            context.Items[AfterwardKeys.SetBackgroundTask] = value;
            return "ok";
        }));

        HttpResponseMessage first = await host.Client.GetAsync("/flag");
        HttpResponseMessage second = await host.Client.GetAsync("/flag");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        MetricsSnapshot snapshot = host.Snapshot();
        Assert.Equal(background ? 2 : null, snapshot.Get("OtherTransaction/Route/GET /flag")?.CallCount);
        Assert.Equal(background ? null : 2, snapshot.Get("WebTransaction/Route/GET /flag")?.CallCount);
        Assert.Equal(background ? null : 2, snapshot.GetApdex("Apdex")?.Count);
        int warnings = host.Logs.Entries.Count(e => e.EventId == 3001);
        Assert.Equal(value == "garbage" ? 1 : 0, warnings);
        if (value == "garbage")
        {
            Assert.Contains("afterward.set_background_task", host.Logs.Entries.Single(e => e.EventId == 3001).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SetBackgroundTaskItem_BoolOrWrongType_WrongOneIgnoredWithWarning()
    {
        await using var host = await TestHost.StartAsync(app =>
        {
            app.MapGet("/bool", (HttpContext c) => c.Items[AfterwardKeys.SetBackgroundTask] = true);
            app.MapGet("/int", (HttpContext c) => c.Items[AfterwardKeys.SetBackgroundTask] = 42);
        });

        await host.Client.GetAsync("/bool");
        HttpResponseMessage wrongType = await host.Client.GetAsync("/int");

        Assert.Equal(HttpStatusCode.OK, wrongType.StatusCode);
        Assert.Equal(1, host.Snapshot().Get("OtherTransaction/Route/GET /bool")?.CallCount);
        Assert.Equal(1, host.Snapshot().Get("WebTransaction/Route/GET /int")?.CallCount);
        Assert.Contains(host.Logs.Entries, e => e.EventId == 3001 && e.Message.Contains("Int32", StringComparison.Ordinal));
    }

    public static TheoryData<string, int> WrongItemValues => new()
    {
        { AfterwardKeys.SetBackgroundTask, 0 },
        { AfterwardKeys.IgnoreTransaction, 1 },
        { AfterwardKeys.SuppressApdex, 2 },
        { AfterwardKeys.AppName, 3 },
        { AfterwardKeys.AppName, 4 },
        { AfterwardKeys.AppName, 5 },
        { AfterwardKeys.AppName, 6 },
    };

    [Theory]
    [MemberData(nameof(WrongItemValues))]
    public async Task ItemsKey_WrongTypeOrValue_RequestRecordedNormallyWarnedOnce(string key, int variant)
    {
        object value = variant switch
        {
            0 => new List<int> { 1 },
            1 => 3.14,
            2 => "perhaps",
            3 => 42,
            4 => new string('a', 10_000),
            5 => "tab\there",
            _ => "   ",
        };
        await using var host = await TestHost.StartAsync(app => app.MapGet("/odd", (HttpContext c) => c.Items[key] = value));

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/odd")).StatusCode);
        }

        Assert.Equal(3, host.Snapshot().Get("WebTransaction/Route/GET /odd")?.CallCount);
        Assert.Single(host.Logs.Entries, e => e.EventId == 3001 && e.Message.Contains(key, StringComparison.Ordinal));
        Assert.DoesNotContain(Agent.Applications(), a => a.Name.Length > 255 || a.Name.Any(char.IsControl));
    }

    [Fact]
    public async Task AppNameItem_ReportsTheRequestUnderAnotherApplication()
    {
        string other = "other-" + Guid.NewGuid().ToString("N");
        await using var host = await TestHost.StartAsync(app => app.MapGet("/elsewhere", (HttpContext c) => c.Items[AfterwardKeys.AppName] = other));

        await host.Client.GetAsync("/elsewhere");

        Assert.Equal(1, Agent.Snapshot(other).Get("WebTransaction/Route/GET /elsewhere")?.CallCount);
        Assert.Null(host.Snapshot().Get("WebTransaction/Route/GET /elsewhere"));
    }

    [Fact]
    public async Task IgnoreAndSuppressApdexItems_AreHonoured()
    {
        await using var host = await TestHost.StartAsync(app =>
        {
            app.MapGet("/ignored", (HttpContext c) => c.Items[AfterwardKeys.IgnoreTransaction] = "1");
            app.MapGet("/no-apdex", (HttpContext c) => c.Items[AfterwardKeys.SuppressApdex] = true);
        });

        await host.Client.GetAsync("/ignored");
        await host.Client.GetAsync("/no-apdex");

        MetricsSnapshot snapshot = host.Snapshot();
        Assert.Null(snapshot.Get("WebTransaction/Route/GET /ignored"));
        Assert.Equal(1, snapshot.Get("WebTransaction/Route/GET /no-apdex")?.CallCount);
        Assert.Null(snapshot.GetApdex("Apdex"));
    }

    [Fact]
    public async Task AsBackgroundTask_AndAttributeOnHandler_MakeEndpointNonWeb()
    {
        await using var host = await TestHost.StartAsync(app =>
        {
            app.MapGet("/reports/{id}", (int id) => id).AsBackgroundTask();
            app.MapGet("/renamed", () => "x").AsBackgroundTask("nightly-report", "Task");
            app.MapGet("/attributed", Handlers.Attributed);
        });

        await host.Client.GetAsync("/reports/1");
        await host.Client.GetAsync("/renamed");
        await host.Client.GetAsync("/attributed");

        MetricsSnapshot snapshot = host.Snapshot();
        Assert.Equal(1, snapshot.Get("OtherTransaction/Route/GET /reports/{id}")?.CallCount);
        Assert.Equal(1, snapshot.Get("OtherTransaction/Task/nightly-report")?.CallCount);
        Assert.Equal(1, snapshot.Get("OtherTransaction/Route/GET /attributed")?.CallCount);
        Assert.Equal(3, snapshot.Get("OtherTransaction/all")?.CallCount);
        Assert.Null(snapshot.Get("WebTransaction"));
        Assert.Null(snapshot.GetApdex("Apdex"));
    }

    [Fact]
    public async Task SetTransactionNameInHandler_WinsOverRouteName()
    {
        await using var host = await TestHost.StartAsync(app => app.MapGet("/checkout", () => Agent.SetTransactionName("checkout", "Custom")));

        await host.Client.GetAsync("/checkout");

        Assert.Equal(1, host.Snapshot().Get("WebTransaction/Custom/checkout")?.CallCount);
    }

    [Fact]
    public async Task DashboardRequests_AreNotRecorded_AndApiListsTheApplication()
    {
        await using var host = await TestHost.StartAsync(app =>
        {
            app.MapAfterwardDashboard();
            app.MapGet("/hello", () => "hi");
        });

        await host.Client.GetAsync("/hello");
        string applications = await host.Client.GetStringAsync("/afterward/api/applications");
        string transactions = await host.Client.GetStringAsync("/afterward/api/transactions?app=" + host.AppName);

        Assert.Contains(host.AppName, applications, StringComparison.Ordinal);
        Assert.Contains("\"metricName\":\"WebTransaction/Route/GET /hello\"", transactions, StringComparison.Ordinal);
        Assert.Contains("\"background\":[]", transactions, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Snapshot().MetricNames, n => n.Contains("afterward", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync("/afterward/api/tasks?app=nobody")).StatusCode);
    }
}

internal static class Handlers
{
    [BackgroundTask]
    public static string Attributed() => "attributed";
}

[ApiController]
[Route("orders")]
public sealed class OrdersController : ControllerBase
{
    [HttpGet("{id:int}")]
    public string Get(int id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [HttpGet("report")]
    [BackgroundTask(Group = "MVC")]
    public string Report([FromServices] BackgroundTasks tasks)
    {
        tasks.AddTask(() => { });
        return "report";
    }
}
