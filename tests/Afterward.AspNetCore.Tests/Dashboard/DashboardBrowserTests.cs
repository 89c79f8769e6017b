using System.Net;
using Afterward.AspNetCore.Tests.Dashboard;
using Microsoft.AspNetCore.Builder;
using OpenQA.Selenium;

namespace Afterward.AspNetCore.Tests;

/// <summary>The dashboard in a real headless chromium: what a developer sees after generating traffic on the Shop.</summary>
[Collection(nameof(ActivityCollection))]
public class DashboardBrowserTests
{
    [Fact]
    public async Task ShopTraffic_InTheBrowser_ShowsTablesChartsFailuresDetailAndRefreshes()
    {
        await using ShopProcess shop = await ShopProcess.StartAsync(new Dictionary<string, string>());
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await shop.Client.PostAsync($"/send?email=user{i}@example.com", null)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await shop.Client.PostAsync($"/action?user_id={i}&action=buy", null)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await shop.Client.GetAsync($"/api/data?user_id={i}")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await shop.Client.PostAsync("/task?data=", null)).StatusCode); // fails after 2 retries
        Assert.Equal(HttpStatusCode.OK, (await shop.Client.GetAsync("/reports/7")).StatusCode);       // reclassified as non-web

        using var browser = new Browser();
        browser.Driver.Navigate().GoToUrl(new Uri(shop.BaseAddress, "/afterward/"));
        browser.Until(d => d.FindElement(By.CssSelector("body[data-loaded=true]")), "the dashboard to load");

        // Web and non-web transactions in separate tables.
        browser.Until(d => Names(d, "web").Contains("Route/POST /send") && Names(d, "background").Contains("Function/Program.SendEmail"), "the tables to fill");
        IReadOnlyList<string> web = Names(browser.Driver, "web");
        IReadOnlyList<string> background = Names(browser.Driver, "background");
        Assert.Contains("Route/POST /action", web);
        Assert.Contains("Route/GET /api/data", web);
        Assert.Contains("Function/Program.LogActivity", background);
        Assert.Contains("Function/Program.UpdateAnalyticsAsync", background);
        Assert.Contains("Function/Program.LogToDatabase", background);
        Assert.Contains("Route/GET /reports/{id}", background);
        Assert.DoesNotContain("Route/GET /reports/{id}", web);
        Assert.DoesNotContain(web, name => name.StartsWith("Function/", StringComparison.Ordinal));
        Assert.Equal("5", Cell(browser.Driver, "web", "Route/POST /send", 1));

        // Apdex with its zones, throughput and error rate.
        IWebElement apdex = browser.Driver.FindElement(By.Id("apdex"));
        Assert.Matches(@"^[01]\.\d\d$", apdex.FindElement(By.ClassName("value")).Text);
        Assert.Matches(@"\d+ satisfying · \d+ tolerating · \d+ frustrating", apdex.FindElement(By.ClassName("sub")).Text);
        Assert.EndsWith("rpm", browser.Driver.FindElement(By.CssSelector("#web-throughput .value")).Text, StringComparison.Ordinal);
        Assert.EndsWith("%", browser.Driver.FindElement(By.CssSelector("#background-errors .value")).Text, StringComparison.Ordinal);

        // Both charts drew their throughput series (uPlot's canvas holds pixels of the series colour).
        foreach (string chart in (string[])["chart-web", "chart-background"])
        {
            long seriesPixels = Convert.ToInt64(browser.Script(
                """
                const canvas = document.querySelector('#' + arguments[0] + ' canvas');
                const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                let n = 0;
                for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - 47) < 24 && Math.abs(data[i + 1] - 111) < 24 && Math.abs(data[i + 2] - 219) < 24 && data[i + 3] > 200) n++;
                return n;
                """, chart), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(seriesPixels > 0, $"{chart}: no pixel of the throughput series");
        }

        // Background tasks: counters and the recent failure with its exception.
        browser.Until(d => d.FindElement(By.CssSelector("#tasks-failed .value")).Text == "1", "the failed task to be counted");
        IWebElement failure = browser.Driver.FindElement(By.CssSelector("#failures tbody tr"));
        Assert.Contains("Program.RiskyOperation", failure.Text, StringComparison.Ordinal);
        Assert.Contains("System.ArgumentException", failure.Text, StringComparison.Ordinal);
        Assert.Contains("Data cannot be empty", failure.Text, StringComparison.Ordinal);

        // A transaction's detail: percentiles, histogram and the slowest traces' waterfall.
        browser.Driver.FindElements(By.CssSelector("#web tbody tr")).First(r => r.Text.Contains("Route/POST /send", StringComparison.Ordinal)).Click();
        IWebElement detail = browser.Until(d => d.FindElement(By.CssSelector("#detail:not([hidden]) .trace")), "the detail panel").FindElement(By.XPath("ancestor::section"));
        Assert.Contains("WebTransaction/Route/POST /send", detail.FindElement(By.TagName("h2")).Text, StringComparison.Ordinal);
        Assert.Contains("p99", detail.Text, StringComparison.Ordinal);
        Assert.NotEmpty(detail.FindElements(By.CssSelector(".histogram .bucket")));
        Assert.NotEmpty(detail.FindElements(By.CssSelector(".trace .span-row")));

        string screenshot = browser.Screenshot("dashboard-shop");
        Assert.True(new FileInfo(screenshot).Length > 10_000);

        // It refreshes itself: new traffic appears without a page load.
        browser.Script("window.afterwardMarker = 42;");
        Assert.Equal(HttpStatusCode.OK, (await shop.Client.PostAsync("/send?email=late@example.com", null)).StatusCode);
        browser.Until(d => Cell(d, "web", "Route/POST /send", 1) == "6", "the next refresh to count the new request");
        Assert.Equal(42L, browser.Script("return window.afterwardMarker;"));
    }

    [Fact]
    public async Task MarkupInNamesAndMessages_RendersAsText_NothingRuns()
    {
        const string name = "<script>window.afterwardXss=1</script>";
        const string message = "<img src=x onerror=\"window.afterwardXss=2\"><b>bold</b>";
        await using var host = await TestHost.StartAsync(app =>
        {
            app.MapAfterwardDashboard();
            app.MapGet("/x", (BackgroundTasks tasks) =>
            {
                Agent.SetTransactionName(name, "Custom");
                tasks.AddTask(() => throw new InvalidOperationException(message)).WithName(name);
            });
        });
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/x")).StatusCode);
        await host.Logs.WaitForAsync(e => e.EventId == 2001, TimeSpan.FromSeconds(30)); // the task's failure is logged once it is counted

        using var browser = new Browser();
        browser.Driver.Navigate().GoToUrl(new Uri(host.Client.BaseAddress!, $"/afterward/?app={Uri.EscapeDataString(host.AppName)}"));
        browser.Until(d => d.FindElements(By.CssSelector("#failures tbody td.message")).Count > 0, "the failure to show");

        Assert.Contains("Custom/" + name, Names(browser.Driver, "web"));
        Assert.Contains(name, Names(browser.Driver, "background").Select(n => n.Replace("Function/", "", StringComparison.Ordinal)));
        Assert.Equal(message, browser.Driver.FindElement(By.CssSelector("#failures tbody td.message")).GetDomProperty("textContent"));
        Assert.Empty(browser.Driver.FindElements(By.CssSelector("body img, body b, table script")));
        Assert.Null(browser.Script("return window.afterwardXss ?? null;"));
        Assert.Throws<NoAlertPresentException>(() => browser.Driver.SwitchTo().Alert());
    }

    private static IReadOnlyList<string> Names(IWebDriver driver, string table) =>
        [.. driver.FindElements(By.CssSelector($"#{table} tbody td.name")).Select(td => td.GetDomProperty("textContent") ?? "")];

    private static string Cell(IWebDriver driver, string table, string name, int column) =>
        driver.FindElements(By.CssSelector($"#{table} tbody tr"))
            .Select(r => r.FindElements(By.TagName("td")))
            .First(cells => cells[0].GetDomProperty("textContent") == name)[column].Text;
}
