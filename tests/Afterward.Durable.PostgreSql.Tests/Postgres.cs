using System.Diagnostics;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Afterward.Durable.PostgreSql.Tests;

/// <summary>The real PostgreSQL server that ./build.sh test starts (tests/postgres/cluster.sh); each test takes a schema of its own.</summary>
/// <summary>
/// Every PostgreSQL test class is in this collection, so that none runs while the restart test restarts the server
/// (which ends every connection to it).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PostgresCollection
{
    public const string Name = "PostgreSQL server";
}

internal static class Postgres
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    public static string ConnectionString => Environment.GetEnvironmentVariable("AFTERWARD_TEST_POSTGRES")
        ?? throw new InvalidOperationException("AFTERWARD_TEST_POSTGRES is not set: run the tests with ./build.sh test, which starts a throwaway PostgreSQL cluster.");

    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N")[..16];

    /// <summary>A Generic Host with durable tasks on the test server (no web server: these tests need none).</summary>
    public static async Task<IHost> StartAsync(string schema, Action<DurableTasksBuilder> durable, ListLoggerProvider? logs = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        Configure(builder.Services, builder.Logging, schema, durable, logs);
        IHost host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>A web app (real Kestrel on 127.0.0.1, port 0) with the same durable tasks, its endpoints mapped by <paramref name="map"/>.</summary>
    public static async Task<WebApplication> StartWebAsync(string schema, Action<DurableTasksBuilder> durable, Action<WebApplication> map)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        Configure(builder.Services, builder.Logging, schema, durable, null);
        WebApplication app = builder.Build();
        app.UseAfterward();
        map(app);
        await app.StartAsync();
        return app;
    }

    private static void Configure(IServiceCollection services, ILoggingBuilder logging, string schema, Action<DurableTasksBuilder> durable, ListLoggerProvider? logs)
    {
        logging.ClearProviders();
        if (logs is not null)
        {
            logging.AddProvider(logs);
        }

        services.AddAfterward(o => o.AppName = "pg-" + Guid.NewGuid().ToString("N"));
        services.AddDurableTasks(d =>
        {
            d.UsePostgres(ConnectionString, schema);
            d.Options.PollInterval = TimeSpan.FromMilliseconds(200);
            d.Options.RetryDelay = TimeSpan.FromMilliseconds(20);
            durable(d);
        });
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
    }

    /// <summary>A connection of the test's own, unpooled: a pooled one could be one the server killed in the restart test.</summary>
    public static async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public static async Task<long> ScalarAsync(string sql) => Convert.ToInt64(await ValueAsync<object>(sql));

    /// <summary>The first column of the first row of <paramref name="sql"/> ($1, $2… bound to <paramref name="values"/>); default for SQL null.</summary>
    public static async Task<T?> ValueAsync<T>(string sql, params object[] values)
    {
        await using NpgsqlConnection connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (object value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return await command.ExecuteScalarAsync() is { } found and not DBNull ? (T)found : default;
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? Wait);
        while (!await condition())
        {
            await Task.Delay(25, deadline.Token);
        }
    }

    /// <summary>Runs the test server's pg_ctl (restart, stop, start).</summary>
    public static async Task ControlAsync(string action)
    {
        string ctl = Environment.GetEnvironmentVariable("AFTERWARD_TEST_POSTGRES_CTL") ?? throw new InvalidOperationException("AFTERWARD_TEST_POSTGRES_CTL is not set.");
        using var process = Process.Start(new ProcessStartInfo(ctl, action) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }
}

/// <summary>The crash test app as a real child process on the PostgreSQL store: several of them are several instances.</summary>
internal sealed class Instance : IAsyncDisposable
{
    private readonly Process _process;

    private Instance(Process process, string log)
    {
        _process = process;
        Log = log;
    }

    public string Log { get; }

    public int[] Ran => File.Exists(Log) ? [.. File.ReadAllLines(Log).Where(l => l.Length > 0).Select(int.Parse)] : [];

    public static async Task<Instance> StartAsync(string schema, string log)
    {
        string directory = typeof(Instance).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "CrashAppDirectory").Value!;
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(directory, "DurableCrashApp.dll"), "--urls", "http://127.0.0.1:0", "--postgres", Postgres.ConnectionString, "--schema", schema, "--log", log },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new List<string>();
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.Add(e.Data ?? string.Empty);
            }

            if (e.Data?.StartsWith("listening ", StringComparison.Ordinal) == true)
            {
                listening.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.Add(e.Data ?? string.Empty);
            }
        };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("An instance exited:\n" + string.Join('\n', output)));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await listening.Task.WaitAsync(Postgres.Wait);
        return new Instance(process, log);
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
