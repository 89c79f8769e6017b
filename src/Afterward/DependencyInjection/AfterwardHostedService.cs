using Microsoft.Extensions.Hosting;

namespace Afterward.DependencyInjection;

/// <summary>Creates the host's application when the host starts, so that it is the process default and its harvest runs.</summary>
internal sealed class AfterwardHostedService(Application application) : IHostedService
{
    public Application Application { get; } = application;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
