// A Generic Host worker that monitors its jobs as non-web transactions, in the four call forms of the seeds:
// attribute ([BackgroundTask], intercepted at compile time), scope (Agent.BackgroundTask), wrapper
// (Agent.WrapBackgroundTask) and path-based (<AfterwardBackgroundTask> items in Worker.csproj); plus
// SetBackgroundTask, which reclassifies a transaction that started as web. It prints what was recorded on exit.
using Afterward;
using Worker;

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Services.AddAfterward(options => options.AppName ??= "Worker");
builder.Services.AddSingleton<Maintenance>();
builder.Services.AddHostedService<Jobs>();
using IHost host = builder.Build();
Application application = host.Services.GetRequiredService<Application>();
await host.RunAsync();
Report.Print(application);

namespace Worker
{
    /// <summary>Runs each job form a few times, then stops the host.</summary>
    internal sealed class Jobs(Maintenance maintenance, IHostApplicationLifetime lifetime, ILogger<Jobs> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            int rounds = int.TryParse(Environment.GetEnvironmentVariable("WORKER_ROUNDS"), out int r) ? r : 3;
            Func<int, Task<int>> import = Agent.WrapBackgroundTask<int, int>(ImportBatchAsync, name: "import-batch", group: "Task"); // wrapper form
            for (int round = 1; round <= rounds && !stoppingToken.IsCancellationRequested; round++)
            {
                // 1. Attribute form: every call of a [BackgroundTask] method is a background task (generated interceptor).
                await Reports.RebuildAsync(round, stoppingToken);

                // 2. Scope form.
                using (Agent.BackgroundTask(name: "cleanup", group: "Task"))
                {
                    await Task.Delay(5, stoppingToken);
                }

                // 3. Wrapper form.
                int imported = await import(round * 10);

                // 4. Path-based form: Maintenance.CompactStorage has no attribute; Worker.csproj names it.
                maintenance.CompactStorage(round);

                // SetBackgroundTask reclassifies the current transaction. Here the other way round: a command an operator
                // waits on is interactive work, so it is reported as web (with Apdex) although it runs in a worker.
                using (Agent.BackgroundTask(name: "admin-command", group: "Task"))
                {
                    Agent.SetBackgroundTask(false);
                    await Task.Delay(2, stoppingToken);
                }

                logger.LogInformation("Round {Round}: imported {Count} rows", round, imported);
            }

            lifetime.StopApplication();
        }

        private static async Task<int> ImportBatchAsync(int rows)
        {
            await Task.Delay(3);
            return rows;
        }
    }

    /// <summary>Reports, with an attribute on the method that does the work.</summary>
    internal static class Reports
    {
        [BackgroundTask(Name = "rebuild-reports", Group = "Task")]
        public static async Task RebuildAsync(int round, CancellationToken cancellationToken)
        {
            await Task.Delay(10, cancellationToken);
            _ = Render(round); // a segment of the rebuild, by attribute
            _ = System.Text.Json.JsonSerializer.Serialize((object)new { round }, typeof(object), (System.Text.Json.JsonSerializerOptions?)null); // a segment, path-based
        }

        [FunctionTrace(Name = "render")]
        private static string Render(int round) => new('#', round);
    }

    /// <summary>A class whose code does not mention Afterward: the project file instruments it.</summary>
    internal sealed class Maintenance
    {
        public int CompactStorage(int round)
        {
            Thread.Sleep(2);
            return round;
        }
    }

    /// <summary>Prints the recorded transactions as a table.</summary>
    internal static class Report
    {
        public static void Print(Application application)
        {
            MetricsSnapshot snapshot = application.Snapshot();
            Console.WriteLine();
            Console.WriteLine($"Transactions recorded by {application.Name}:");
            Console.WriteLine($"{"metric",-48} {"calls",6} {"avg ms",9} {"errors",7}");
            foreach (string name in snapshot.MetricNames.Where(n => n.StartsWith("OtherTransaction/", StringComparison.Ordinal) || n.StartsWith("WebTransaction/", StringComparison.Ordinal)))
            {
                MetricStats stats = snapshot.Get(name)!;
                long errors = snapshot.Get("Errors/" + name)?.CallCount ?? 0;
                Console.WriteLine($"{name,-48} {stats.CallCount,6} {stats.Average.TotalMilliseconds,9:F2} {errors,7}");
            }

            foreach ((string scope, string segment) in snapshot.ScopedMetricNames.OrderBy(s => s.Scope).ThenBy(s => s.Name))
            {
                Console.WriteLine($"  {segment,-46} {snapshot.GetScoped(scope, segment)!.CallCount,6}   in {scope}");
            }
        }
    }
}
