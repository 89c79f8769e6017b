using Afterward.Export;
using Afterward.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Afterward.DependencyInjection;

/// <summary>
/// Starts OTLP export before anything else (so the first request is exported), and at shutdown drains the task
/// runner after every other hosted service (the web server included) has stopped, so that no response can schedule
/// work after the drain began; then exports what is left.
/// </summary>
internal sealed class AfterwardHostedService(
    Application application,
    BackgroundTaskRunner runner,
    IServiceProvider services,
    IConfiguration? configuration = null) : IHostedLifecycleService
{
    private static readonly TimeSpan ExportShutdownBudget = TimeSpan.FromSeconds(5);

    private OtlpExportSession? _export;

    public Application Application { get; } = application;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        try
        {
            StartExport();
        }
        catch (Exception ex)
        {
            // A broken exporter setup costs telemetry, never the application's start.
            Log.AgentFault(Application.Logger, "starting OTLP export", ex);
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs within the host's <c>ShutdownTimeout</c>: the token fires at the deadline.</summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await runner.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (_export is { } export)
            {
                _export = null;
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
        }
    }

    private void StartExport()
    {
        // If the application built its own providers through DI, it exports; a second exporter would send everything twice.
        var registered = services.GetService<IServiceProviderIsService>();
        _export = OtlpExportSession.Start(Application, Variable,
            appOwnsTracer: registered?.IsService(typeof(TracerProvider)) == true,
            appOwnsMeter: registered?.IsService(typeof(MeterProvider)) == true);
    }

    /// <summary>The host's configuration (environment variables, command line, appsettings), then the process environment.</summary>
    private string? Variable(string name) => configuration?[name] is { Length: > 0 } value ? value : Environment.GetEnvironmentVariable(name);
}
