using Afterward.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Afterward.DependencyInjection;

/// <summary>
/// The owner of a host's Afterward state. Starts the application's harvest timer and OTLP export before anything
/// else (so the first request is exported), then the task dispatchers; at shutdown drains every dispatcher after
/// every other hosted service (the web server included) has stopped, so that no response can schedule work after
/// the drain began; then exports what is left and stops the timer. Disposed with the container.
/// </summary>
internal sealed class AfterwardHostedService(
    Application application,
    IEnumerable<ITaskDispatcher> dispatchers,
    IServiceProvider services,
    IConfiguration? configuration = null) : IHostedLifecycleService, IDisposable
{
    private static readonly TimeSpan ExportShutdownBudget = TimeSpan.FromSeconds(5);

    private readonly ITaskDispatcher[] _dispatchers = [.. dispatchers];
    private IAfterwardExporter? _exporter;
    private IExportSession? _export;

    public Application Application { get; } = application;

    /// <summary>
    /// Uses <paramref name="exporter"/> unless one is registered in DI already: how a web app gets OTLP export from
    /// <c>UseAfterward()</c> without registering anything.
    /// </summary>
    public void UseExporter(IAfterwardExporter exporter) => _exporter ??= exporter;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        Application.Start();
        try
        {
            IAfterwardExporter? exporter = services.GetService<IAfterwardExporter>() ?? _exporter;
            _export = exporter?.Start(Application, services, Variable);
        }
        catch (Exception ex)
        {
            // A broken exporter setup costs telemetry, never the application's start.
            Agent.ReportFault(Application, "starting OTLP export", ex);
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (ITaskDispatcher dispatcher in _dispatchers)
        {
            dispatcher.Start();
        }

        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs within the host's <c>ShutdownTimeout</c>: the token fires at the deadline.</summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        try
        {
            var stops = new Task[_dispatchers.Length];
            for (int i = 0; i < stops.Length; i++)
            {
                stops[i] = _dispatchers[i].StopAsync(cancellationToken);
            }

            await Task.WhenAll(stops).ConfigureAwait(false);
        }
        finally
        {
            await FlushExportAsync(cancellationToken).ConfigureAwait(false);
            Application.Stop();
        }
    }

    public void Dispose()
    {
        // A host disposed without being stopped (a failed start) still releases its timer and exporter.
        Interlocked.Exchange(ref _export, null)?.Shutdown(TimeSpan.Zero);
        Application.Stop();
    }

    private async Task FlushExportAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _export, null) is not { } export)
        {
            return;
        }

        Task flush = Task.Run(() => export.Shutdown(ExportShutdownBudget), CancellationToken.None);
        try
        {
            await flush.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The host's deadline came first: what is still queued is lost, the shutdown is not delayed.
        }
    }

    /// <summary>The host's configuration (environment variables, command line, appsettings), then the process environment.</summary>
    private string? Variable(string name) => configuration?[name] is { Length: > 0 } value ? value : Environment.GetEnvironmentVariable(name);
}
