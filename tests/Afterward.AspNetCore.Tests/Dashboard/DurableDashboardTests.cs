using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Afterward.AspNetCore.Tests.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;

namespace Afterward.AspNetCore.Tests;

/// <summary>The dashboard's durable section: its JSON API (PRODUCT.md §5), its cross-site refusal, and Retry in chromium.</summary>
[Collection(nameof(ActivityCollection))]
public class DurableDashboardTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task DurableApi_CountsDeadListAndDetail_AsTheContractSays()
    {
        await using var fixture = await Fixture.StartAsync();
        string dead = await fixture.DeadTaskAsync();

        using JsonDocument summary = JsonDocument.Parse(await fixture.Host.Client.GetStringAsync("/afterward/api/durable"));
        JsonElement root = summary.RootElement;
        Assert.Equal("sqlite", root.GetProperty("store").GetString());
        Assert.Equal(1, root.GetProperty("dead").GetInt64());
        foreach (string field in (string[])["scheduled", "queued", "running", "retrying", "succeeded"])
        {
            Assert.Equal(JsonValueKind.Number, root.GetProperty(field).ValueKind);
        }

        JsonElement row = Assert.Single(root.GetProperty("recentDead").EnumerateArray());
        Assert.Equal(dead, row.GetProperty("id").GetString());
        Assert.Equal("fragile", row.GetProperty("name").GetString());
        Assert.Equal(1, row.GetProperty("attempts").GetInt32());
        Assert.Equal("System.InvalidOperationException: <b>not yet</b>", row.GetProperty("lastError").GetString());
        Assert.True(row.TryGetProperty("at", out _));

        using JsonDocument detail = JsonDocument.Parse(await fixture.Host.Client.GetStringAsync("/afterward/api/durable/" + dead));
        Assert.Equal("dead", detail.RootElement.GetProperty("state").GetString());
        foreach (string field in (string[])["id", "name", "attempts", "enqueuedAt", "startedAt", "completedAt", "lastError"])
        {
            Assert.True(detail.RootElement.TryGetProperty(field, out _), field);
        }

        // Each run names the instance that ran it: one run here, this instance's, started when the task last started.
        JsonElement run = Assert.Single(detail.RootElement.GetProperty("runs").EnumerateArray().ToArray());
        Assert.Equal(detail.RootElement.GetProperty("instance").GetString(), run.GetProperty("instance").GetString());
        Assert.Equal(detail.RootElement.GetProperty("startedAt").GetDateTimeOffset(), run.GetProperty("startedAt").GetDateTimeOffset());

        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Host.Client.GetAsync("/afterward/api/durable/no-such-id")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Host.Client.PostAsync("/afterward/api/durable/no-such-id/retry", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Host.Client.DeleteAsync("/afterward/api/durable/no-such-id")).StatusCode);
    }

    [Theory]
    [InlineData("Origin", "http://evil.example")]
    [InlineData("Origin", "http://127.0.0.1:1")]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    public async Task StateChangingCalls_CrossSite_Refused403NothingChanges(string header, string value)
    {
        await using var fixture = await Fixture.StartAsync();
        string dead = await fixture.DeadTaskAsync();

        foreach (HttpMethod method in (HttpMethod[])[HttpMethod.Post, HttpMethod.Delete])
        {
            using var request = new HttpRequestMessage(method, method == HttpMethod.Post ? $"/afterward/api/durable/{dead}/retry" : $"/afterward/api/durable/{dead}");
            request.Headers.TryAddWithoutValidation(header, value);
            using HttpResponseMessage response = await fixture.Host.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        Assert.Equal(DurableTaskState.Dead, (await fixture.Tasks.GetAsync(dead))!.State);
    }

    [Fact]
    public async Task StateChangingCalls_SameOriginOrNoHeader_Accepted()
    {
        await using var fixture = await Fixture.StartAsync();
        string first = await fixture.DeadTaskAsync();
        string second = await fixture.DeadTaskAsync();

        using var sameOrigin = new HttpRequestMessage(HttpMethod.Delete, $"/afterward/api/durable/{first}");
        sameOrigin.Headers.TryAddWithoutValidation("Origin", fixture.Host.Client.BaseAddress!.GetLeftPart(UriPartial.Authority));
        sameOrigin.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "same-origin");
        Assert.Equal(HttpStatusCode.OK, (await fixture.Host.Client.SendAsync(sameOrigin)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Host.Client.DeleteAsync($"/afterward/api/durable/{second}")).StatusCode);

        Assert.Null(await fixture.Tasks.GetAsync(first));
        Assert.Null(await fixture.Tasks.GetAsync(second));
    }

    [Fact]
    public async Task RetryButton_InChromium_DeadTaskSucceeds()
    {
        await using var fixture = await Fixture.StartAsync();
        string dead = await fixture.DeadTaskAsync();
        fixture.Fixed = true;

        using var browser = new Browser();
        browser.Driver.Navigate().GoToUrl(new Uri(fixture.Host.Client.BaseAddress!, "/afterward/"));
        IWebElement retry = browser.Until(d => d.FindElement(By.CssSelector($"#dead tr[data-id='{dead}'] button.retry")), "the dead task's Retry button");
        Assert.Equal("System.InvalidOperationException: <b>not yet</b>", browser.Driver.FindElement(By.CssSelector($"#dead tr[data-id='{dead}'] .message")).Text);
        retry.Click();

        browser.Until(d => d.FindElement(By.CssSelector("#durable-succeeded .value")).Text == "1" ? "succeeded" : null, "the task to succeed");
        Assert.Empty(browser.Driver.FindElements(By.CssSelector($"#dead tr[data-id='{dead}']")));
        Assert.Equal(DurableTaskState.Succeeded, (await fixture.Tasks.GetAsync(dead))!.State);
        Assert.Equal("0", browser.Driver.FindElement(By.CssSelector("#durable-dead .value")).Text);
    }

    private sealed class Fixture : IAsyncDisposable
    {
        public TestHost Host { get; private set; } = null!;

        public volatile bool Fixed;

        public IDurableTasks Tasks => Host.App.Services.GetRequiredService<IDurableTasks>();

        public static async Task<Fixture> StartAsync()
        {
            var fixture = new Fixture();
            string file = Path.Combine(Path.GetTempPath(), "afterward-tests", Guid.NewGuid().ToString("N"), "tasks.db");
            fixture.Host = await TestHost.StartAsync(app => app.MapAfterwardDashboard(), services: s => s.AddDurableTasks(d =>
            {
                d.UseSqlite("Data Source=" + file);
                d.Options.PollInterval = TimeSpan.FromMilliseconds(100);
                d.AddHandler<int>("fragile", (_, _, _) => fixture.Fixed ? Task.CompletedTask : throw new InvalidOperationException("<b>not yet</b>"));
            }));
            return fixture;
        }

        public async Task<string> DeadTaskAsync()
        {
            string id = await Tasks.EnqueueAsync("fragile", 1, new EnqueueOptions { MaxAttempts = 1 });
            using var deadline = new CancellationTokenSource(Wait);
            while ((await Tasks.GetAsync(id, deadline.Token))?.State != DurableTaskState.Dead)
            {
                await Task.Delay(10, deadline.Token);
            }

            return id;
        }

        public ValueTask DisposeAsync() => Host.DisposeAsync();
    }
}
