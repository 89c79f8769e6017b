// A web app for the crash tests: POST /work enqueues a durable task whose handler takes a while and then appends its
// id to a log file (flushed). The test kills this process with SIGKILL while tasks run, restarts it on the same
// SQLite file, and checks from the log that every task ran at least once.
//   DurableCrashApp --urls http://127.0.0.1:0 --db <file> --log <file>
//   DurableCrashApp --urls http://127.0.0.1:0 --postgres <connection string> --schema <name> --log <file>   (several instances on one database)
//   add --verbose 1 to keep the console log
using Afterward;

var builder = WebApplication.CreateBuilder(args);
string? db = builder.Configuration["db"];
string? postgres = builder.Configuration["postgres"];
string log = builder.Configuration["log"] ?? throw new InvalidOperationException("--log <file> is required");
if (builder.Configuration["verbose"] is null)
{
    builder.Logging.ClearProviders(); // --verbose 1 keeps the console log, to see what an instance did
}
builder.Services.AddAfterward(o => o.AppName = "CrashApp");
builder.Services.AddDurableTasks(durable =>
{
    if (postgres is not null)
    {
        durable.UsePostgres(postgres, builder.Configuration["schema"] ?? "afterward");
    }
    else
    {
        durable.UseSqlite("Data Source=" + (db ?? throw new InvalidOperationException("--db <file> or --postgres <connection string> is required")));
    }

    durable.Options.LeaseDuration = TimeSpan.FromSeconds(2);
    durable.Options.PollInterval = TimeSpan.FromMilliseconds(100);
    durable.Options.MaxAttempts = 1000;
    durable.AddHandler<int>("work", async (int n, IServiceProvider _, CancellationToken token) =>
    {
        await Task.Delay(5 + n % 20, token);
        DoneLog.Append(log, n);
    });
});
var app = builder.Build();
app.UseAfterward();
app.MapPost("/work/{n:int}", async (int n, BackgroundTasks tasks) => Results.Accepted(null, new { id = await tasks.AddDurableTaskAsync("work", n) }));
app.Lifetime.ApplicationStarted.Register(() =>
{
    // The test reads the address from the first line of standard output.
    Console.WriteLine("listening " + app.Urls.First());
    Console.Out.Flush();
});
app.Run();

internal static class DoneLog
{
    private static readonly Lock Gate = new();

    public static void Append(string path, int n)
    {
        lock (Gate)
        {
            using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            byte[] line = System.Text.Encoding.ASCII.GetBytes(n + "\n");
            stream.Write(line);
            stream.Flush(flushToDisk: false);
        }
    }
}
