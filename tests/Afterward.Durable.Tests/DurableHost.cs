using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Afterward.Durable.Tests;

/// <summary>A real Kestrel server on 127.0.0.1:0 with durable tasks on a real SQLite file of the test's own.</summary>
internal sealed class DurableHost : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>The runner's poll interval in these hosts: the longest it waits before it looks at the clock again.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private DurableHost(WebApplication app, string appName, ListLoggerProvider logs, string file)
    {
        App = app;
        AppName = appName;
        Logs = logs;
        File = file;
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }

    public string AppName { get; }

    public ListLoggerProvider Logs { get; }

    public string File { get; }

    public HttpClient Client { get; }

    public IDurableTasks Tasks => App.Services.GetRequiredService<IDurableTasks>();

    public static string NewFile() => Path.Combine(Path.GetTempPath(), "afterward-tests", Guid.NewGuid().ToString("N"), "tasks.db");

    public static async Task<DurableHost> StartAsync(
        Action<DurableTasksBuilder> durable,
        Action<WebApplication>? map = null,
        string? file = null,
        TimeSpan? shutdownTimeout = null,
        IReadOnlyDictionary<string, string?>? configuration = null,
        Action<IServiceCollection>? services = null,
        TimeProvider? time = null)
    {
        file ??= NewFile();
        string appName = "durable-" + Guid.NewGuid().ToString("N");
        var logs = new ListLoggerProvider();
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (configuration is not null)
        {
            builder.Configuration.AddInMemoryCollection(configuration);
        }

        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddAfterward(o =>
        {
            o.AppName = appName;
            o.TimeProvider = time ?? TimeProvider.System;
        });
        builder.Services.AddDurableTasks(d =>
        {
            d.UseSqlite("Data Source=" + file);
            d.Options.PollInterval = PollInterval;
            d.Options.RetryDelay = TimeSpan.FromMilliseconds(20);
            durable(d);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout ?? TimeSpan.FromSeconds(30));
        services?.Invoke(builder.Services);
        WebApplication app = builder.Build();
        app.UseAfterward();
        map?.Invoke(app);
        await app.StartAsync();
        return new DurableHost(app, appName, logs, file);
    }

    /// <summary>
    /// Waits until the task is in <paramref name="state"/> (polling the store, which is what a user sees), calling
    /// <paramref name="betweenPolls"/> after each poll that did not find it there (a test on a fake clock moves it on).
    /// </summary>
    public async Task<DurableTaskInfo> WaitForStateAsync(string id, DurableTaskState state, Action? betweenPolls = null)
    {
        using var deadline = new CancellationTokenSource(Wait);
        DurableTaskInfo? info = null;
        while (!deadline.IsCancellationRequested)
        {
            info = await Tasks.GetAsync(id);
            if (info?.State == state)
            {
                return info;
            }

            betweenPolls?.Invoke();
            await Task.Delay(10);
        }

        throw new TimeoutException($"Task {id} did not reach {state}; it is {info?.State.ToString() ?? "gone"} ({info?.LastError}).");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>What handlers did, with a signal per call (wait on it, never sleep).</summary>
internal sealed class Probe
{
    private readonly ConcurrentQueue<(string Name, object? Payload, DurableTaskContext Context)> _calls = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<(string Name, object? Payload, DurableTaskContext Context)> Calls => [.. _calls];

    public void Record(string name, object? payload, DurableTaskContext context)
    {
        _calls.Enqueue((name, payload, context));
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public async Task WaitForCallsAsync(int count)
    {
        using var deadline = new CancellationTokenSource(DurableHost.Wait);
        while (_calls.Count < count)
        {
            Task changed = Volatile.Read(ref _changed).Task;
            if (_calls.Count >= count)
            {
                break;
            }

            await changed.WaitAsync(deadline.Token);
        }
    }
}
