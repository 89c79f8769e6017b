namespace Afterward.DependencyInjection;

/// <summary>
/// The seam for an exporter package (Afterward.OpenTelemetry): started by the host's hosted service before the
/// server takes requests, shut down after the task drain. The core package knows nothing of any SDK.
/// </summary>
internal interface IAfterwardExporter
{
    /// <summary>Starts export for the host's application; null when nothing is configured (no endpoint).</summary>
    /// <param name="application">The host's application.</param>
    /// <param name="services">The host's services (to see whether the application registered its own providers).</param>
    /// <param name="variables">The host's configuration, then the process environment.</param>
    IExportSession? Start(Application application, IServiceProvider services, Func<string, string?> variables);
}

/// <summary>A running export, flushed and stopped once.</summary>
internal interface IExportSession
{
    /// <summary>Exports what is queued within <paramref name="budget"/>, then stops.</summary>
    void Shutdown(TimeSpan budget);
}
