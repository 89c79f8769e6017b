// A fresh app that references the packed packages only (no project references): it serves a request with a
// background task, runs a [BackgroundTask] method and a path item, serves the dashboard's page and script, and runs a
// durable task on SQLite; then it checks what Afterward recorded and exits 0, or prints what failed and exits 1.
using Afterward;
using Consumer;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Logging.ClearProviders();
builder.Services.AddAfterward(o => o.AppName = "Consumer");
var durableDone = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
builder.Services.AddDurableTasks(d =>
{
    d.UseSqlite("Data Source=" + Path.Combine(Path.GetTempPath(), "afterward-consumer-" + Guid.NewGuid().ToString("N") + ".db"));
    d.AddHandler<int>("consumer-durable", (n, _, _) =>
    {
        durableDone.TrySetResult(n);
        return Task.CompletedTask;
    });
});
var app = builder.Build();
app.UseAfterward();
app.MapAfterwardDashboard();
var taskDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
app.MapPost("/work", async (BackgroundTasks tasks) =>
{
    tasks.AddTask(() => taskDone.TrySetResult());
    return new { id = await tasks.AddDurableTaskAsync("consumer-durable", 42) };
});
await app.StartAsync();

var failures = new List<string>();
using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
TimeSpan wait = TimeSpan.FromSeconds(20);
try
{
    using HttpResponseMessage work = await client.PostAsync("/work", null);
    Check(work.IsSuccessStatusCode, $"POST /work answered {(int)work.StatusCode}");
    await taskDone.Task.WaitAsync(wait);
    Check(await durableDone.Task.WaitAsync(wait) == 42, "the durable task got its payload");

    Jobs.ByAttribute();
    Jobs.ByPath();

    string page = await client.GetStringAsync("/afterward/");
    Check(page.Contains("/afterward/assets/dashboard.js", StringComparison.Ordinal), "the dashboard page links its script");
    string script = await client.GetStringAsync("/afterward/assets/dashboard.js");
    Check(script.Length > 1000, "the dashboard's embedded script is served");

    MetricsSnapshot snapshot = Agent.Snapshot("Consumer");
    Check(snapshot.Get("WebTransaction/Route/POST /work")?.CallCount == 1, "the request is a web transaction");
    Check(snapshot.Get("OtherTransaction/Task/nightly")?.CallCount == 1, "[BackgroundTask] was intercepted");
    Check(snapshot.Get("OtherTransaction/Task/Consumer.Jobs.ByPath")?.CallCount == 1, "the AfterwardBackgroundTask item was intercepted");
    for (int i = 0; i < 200 && snapshot.Get("OtherTransaction/DurableTask/consumer-durable") is null; i++)
    {
        await Task.Delay(25);
        snapshot = Agent.Snapshot("Consumer");
    }

    Check(snapshot.Get("OtherTransaction/DurableTask/consumer-durable")?.CallCount == 1, "the durable task's run is a background transaction");
}
catch (Exception ex)
{
    failures.Add("unexpected: " + ex);
}

await app.StopAsync();
foreach (string failure in failures)
{
    Console.WriteLine("FAILED: " + failure);
}

Console.WriteLine(failures.Count == 0 ? "package consumer: all checks passed" : $"package consumer: {failures.Count} check(s) failed");
return failures.Count == 0 ? 0 : 1;

void Check(bool condition, string what)
{
    if (!condition)
    {
        failures.Add(what);
    }
}

namespace Consumer
{
    public static class Jobs
    {
        [BackgroundTask(Name = "nightly", Group = "Task")]
        public static void ByAttribute()
        {
        }

        public static void ByPath()
        {
        }
    }
}
