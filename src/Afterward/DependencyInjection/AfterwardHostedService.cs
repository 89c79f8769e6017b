using Afterward.Tasks;
using Microsoft.Extensions.Hosting;

namespace Afterward.DependencyInjection;

/// <summary>
/// Starts the host's application and task runner with the host, and drains the runner after every other hosted
/// service (the web server included) has stopped, so that no response can schedule work after the drain began.
/// </summary>
internal sealed class AfterwardHostedService(Application application, BackgroundTaskRunner runner) : IHostedLifecycleService
{
    public Application Application { get; } = application;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs within the host's <c>ShutdownTimeout</c>: the token fires at the deadline.</summary>
    public Task StoppedAsync(CancellationToken cancellationToken) => runner.StopAsync(cancellationToken);
}
