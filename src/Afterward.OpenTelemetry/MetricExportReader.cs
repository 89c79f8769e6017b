using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Afterward.Export;

/// <summary>The SDK's periodic reader, with each export's outcome counted and reported through <see cref="ExportHealth"/>.</summary>
internal sealed class MetricExportReader(BaseExporter<Metric> exporter, OtlpSettings settings, ExportStatusCells status, ExportHealth health)
    : PeriodicExportingMetricReader(exporter, (int)settings.ExportInterval.TotalMilliseconds, (int)settings.Timeout.TotalMilliseconds)
{
    protected override bool OnCollect(int timeoutMilliseconds)
    {
        bool exported;
        try
        {
            exported = base.OnCollect(timeoutMilliseconds);
        }
        catch (Exception ex)
        {
            health.Exception(ex);
            exported = false;
        }

        status.MetricExported(exported);
        if (exported)
        {
            health.Succeeded();
        }
        else
        {
            health.Failed(lost: 1);
        }

        return exported;
    }
}
