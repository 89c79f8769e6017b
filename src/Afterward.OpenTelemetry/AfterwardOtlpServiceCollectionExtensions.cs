using Afterward;
using Afterward.DependencyInjection;
using Afterward.Export;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds OTLP export to a host that uses Afterward.</summary>
public static class AfterwardOtlpServiceCollectionExtensions
{
    /// <summary>
    /// Adds Afterward (<see cref="AfterwardServiceCollectionExtensions.AddAfterward"/>) with OTLP export through the
    /// OpenTelemetry SDK: on when <see cref="OtlpOptions.Endpoint"/> or <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set,
    /// started before the host serves and flushed after its tasks drained. Web apps get the same from
    /// <c>app.UseAfterward()</c>; a worker calls this. Safe to call more than once.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static IServiceCollection AddAfterwardOtlpExport(this IServiceCollection services, Action<AfterwardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddAfterward(configure);
        services.TryAddSingleton<IAfterwardExporter>(OtlpExporter.Instance);
        return services;
    }
}
