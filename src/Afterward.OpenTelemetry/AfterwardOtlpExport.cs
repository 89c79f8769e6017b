using Afterward.Export;

namespace Afterward;

/// <summary>OTLP export for a process without a host (a script, a console tool that calls <see cref="Agent.Initialize"/>).</summary>
public static class AfterwardOtlpExport
{
    /// <summary>
    /// Starts exporting <paramref name="application"/>'s spans and metrics when an endpoint is configured
    /// (<see cref="OtlpOptions.Endpoint"/> or the <c>OTEL_*</c> variables). Dispose the result before the process
    /// exits: what is queued is exported then, within 5 s.
    /// </summary>
    /// <returns>The running export; a no-op when no endpoint is configured.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="application"/> is null.</exception>
    public static IDisposable Start(Application application)
    {
        ArgumentNullException.ThrowIfNull(application);
        try
        {
            return new Stopper(OtlpExportSession.Start(application, Environment.GetEnvironmentVariable));
        }
        catch (Exception ex)
        {
            ExportLog.ExportFault(application.Logger, "start", ex);
            return new Stopper(null);
        }
    }

    private sealed class Stopper(OtlpExportSession? session) : IDisposable
    {
        public void Dispose() => session?.Shutdown(TimeSpan.FromSeconds(5));
    }
}
