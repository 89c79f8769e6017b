using System.Diagnostics;
using Afterward.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Afterward.Export;

/// <summary>The core's exporter seam, implemented with the OpenTelemetry SDK (one session per host).</summary>
internal sealed class OtlpExporter : IAfterwardExporter
{
    public static readonly OtlpExporter Instance = new();

    public IExportSession? Start(Application application, IServiceProvider services, Func<string, string?> variables)
    {
        // If the application built its own providers through DI, it exports; a second exporter would send everything twice.
        var registered = services.GetService<IServiceProviderIsService>();
        return OtlpExportSession.Start(application, variables,
            appOwnsTracer: registered?.IsService(typeof(TracerProvider)) == true,
            appOwnsMeter: registered?.IsService(typeof(MeterProvider)) == true,
            hostAspNetCoreSource: services.GetService<ActivitySource>() is { Name: OtlpExportSession.AspNetCoreSource } source ? source : null);
    }
}
