using System.Diagnostics;
using System.Net;
using System.Reflection;
using Microsoft.Data.Sqlite;

namespace Afterward.Durable.Tests;

/// <summary>
/// kill -9: a real child process enqueues durable tasks per request and is killed with SIGKILL at a random moment
/// while tasks run, ten times; restarted on the same file each time. Every task must succeed at least once, and a
/// task may run twice only if it was running when the process died.
/// </summary>
public class CrashTests
{
    private const int Rounds = 10;
    private const int RequestsPerRound = 60;

    [Fact]
    public async Task Sigkill_TenRoundsAtRandomMoments_EveryTaskRunsAtLeastOnce()
    {
        string directory = Path.Combine(Path.GetTempPath(), "afterward-crash", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string db = Path.Combine(directory, "tasks.db");
        string log = Path.Combine(directory, "done.log");
        var accepted = new HashSet<int>();
        var random = new Random(20261201);
        int next = 0;
        int maxDuplicatesAllowed = 0;

        for (int round = 0; round < Rounds; round++)
        {
            await using CrashApp app = await CrashApp.StartAsync(db, log);
            int killAfter = random.Next(5, RequestsPerRound);
            for (int i = 0; i < RequestsPerRound; i++)
            {
                int n = next++;
                using HttpResponseMessage response = await app.Client.PostAsync($"/work/{n}", null);
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                accepted.Add(n);
                if (i == killAfter)
                {
                    break;
                }
            }

            // At most every running task (MaxConcurrency) may have run without its success being stored.
            maxDuplicatesAllowed += Math.Max(8, 2 * Environment.ProcessorCount);
            app.Kill();
        }

        // A last start finishes everything that is left (lost runs come back once their 2 s lease expires).
        await using (CrashApp last = await CrashApp.StartAsync(db, log))
        {
            await WaitUntilAsync(() => CountSucceeded(db) == accepted.Count, TimeSpan.FromSeconds(60));
        }

        int[] ran = [.. File.ReadAllLines(log).Where(l => l.Length > 0).Select(int.Parse)];
        var runsPerTask = ran.GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
        Assert.DoesNotContain(accepted, n => !runsPerTask.ContainsKey(n));
        int duplicates = ran.Length - runsPerTask.Count;
        Assert.True(duplicates <= maxDuplicatesAllowed, $"{duplicates} duplicate runs, at most {maxDuplicatesAllowed} were running at the kills");
        Assert.Equal(accepted.Count, CountSucceeded(db));
    }

    private static long CountSucceeded(string db)
    {
        using var connection = new SqliteConnection("Data Source=" + db + ";Mode=ReadOnly");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM afterward_tasks WHERE state = 2;";
        return (long)command.ExecuteScalar()!;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition())
        {
            await Task.Delay(50, deadline.Token);
        }
    }

    private sealed class CrashApp : IAsyncDisposable
    {
        private readonly Process _process;

        private CrashApp(Process process, Uri address)
        {
            _process = process;
            Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        }

        public HttpClient Client { get; }

        public static async Task<CrashApp> StartAsync(string db, string log)
        {
            string directory = typeof(CrashTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "CrashAppDirectory").Value!;
            var start = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { Path.Combine(directory, "DurableCrashApp.dll"), "--urls", "http://127.0.0.1:0", "--db", db, "--log", log },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            var process = new Process { StartInfo = start };
            var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
            var output = new List<string>();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    lock (output)
                    {
                        output.Add(line);
                    }

                    if (line.StartsWith("listening ", StringComparison.Ordinal))
                    {
                        listening.TrySetResult(new Uri(line["listening ".Length..]));
                    }
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                lock (output)
                {
                    output.Add(e.Data ?? string.Empty);
                }
            };
            process.EnableRaisingEvents = true;
            process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("The crash app exited:\n" + string.Join('\n', output)));
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new CrashApp(process, await listening.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        }

        /// <summary>SIGKILL: no shutdown code runs.</summary>
        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public ValueTask DisposeAsync()
        {
            Client.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }

            _process.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
