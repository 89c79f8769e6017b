using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Afterward.AspNetCore.Tests;

/// <summary>A real Kestrel server on 127.0.0.1, port 0, with Afterward and an application name of its own.</summary>
internal sealed class TestHost : IAsyncDisposable
{
    private TestHost(WebApplication app, string appName, ListLoggerProvider logs)
    {
        App = app;
        AppName = appName;
        Logs = logs;
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }

    public string AppName { get; }

    public ListLoggerProvider Logs { get; }

    public HttpClient Client { get; }

    public Application Application => Agent.Application(AppName);

    public MetricsSnapshot Snapshot() => Agent.Snapshot(AppName);

    public static async Task<TestHost> StartAsync(
        Action<WebApplication> map,
        Action<AfterwardOptions>? configure = null,
        Action<IServiceCollection>? services = null,
        Action<WebApplication>? beforeAfterward = null,
        TimeSpan? shutdownTimeout = null,
        IReadOnlyDictionary<string, string?>? configuration = null,
        Action<WebApplication>? afterAfterward = null)
    {
        string appName = "web-" + Guid.NewGuid().ToString("N");
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
            configure?.Invoke(o);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout ?? TimeSpan.FromSeconds(30));
        services?.Invoke(builder.Services);
        WebApplication app = builder.Build();
        beforeAfterward?.Invoke(app);
        app.UseAfterward();
        afterAfterward?.Invoke(app);
        map(app);
        await app.StartAsync();
        return new TestHost(app, appName, logs);
    }

    /// <summary>Stops the host: the runner drains, so every counter and log is final when this returns.</summary>
    public Task StopAsync() => App.StopAsync();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
