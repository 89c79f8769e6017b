using Afterward.Export;
using Microsoft.Extensions.Logging;

namespace Afterward.OpenTelemetry.Tests;

/// <summary>What the export log says across an outage: one warning when it starts, one line with the loss when it ends.</summary>
public class ExportHealthTests
{
    private readonly ListLoggerProvider _logs = new();
    private readonly ExportStatusCells _status = new();

    [Fact]
    public void OutageOfOneFailedBatch_RecoveryCountsThatBatchAsLost()
    {
        ExportHealth health = Health();

        // One batch of 60 spans refused (the collector retried it internally, then gave up), then the next accepted.
        Fail(health, 60, "HTTP 503");
        _status.SpansSent(2);
        health.Succeeded();

        Assert.Single(_logs.Entries, e => e.EventId == 1102 && e.Message.Contains("HTTP 503", StringComparison.Ordinal));
        Assert.Contains(_logs.Entries, e => e.EventId == 1103 && e.Message.Contains("recovered; 60 lost", StringComparison.Ordinal));
    }

    [Fact]
    public void LongOutage_LoggedOnce_RecoveryCountsEveryLossSinceItsStart_NextOutageCountsAfresh()
    {
        ExportHealth health = Health();
        _status.SpansLost(5); // lost before the outage (queue overflow while the collector was fine)

        Fail(health, 10, "HTTP 503");
        Fail(health, 7, "HTTP 503");
        _status.SpansLost(3); // overflow during the outage
        health.Succeeded();
        Fail(health, 4, "HTTP 400");
        health.Succeeded();

        Assert.Equal(2, _logs.Entries.Count(e => e.EventId == 1102));
        string[] recovered = [.. _logs.Entries.Where(e => e.EventId == 1103).Select(e => e.Message)];
        Assert.Equal(2, recovered.Length);
        Assert.Contains("recovered; 20 lost", recovered[0], StringComparison.Ordinal);
        Assert.Contains("recovered; 4 lost", recovered[1], StringComparison.Ordinal);
    }

    [Fact]
    public void SuccessWithoutOutage_LogsNothing()
    {
        ExportHealth health = Health();

        health.Succeeded();

        Assert.Empty(_logs.Entries);
    }

    private ExportHealth Health() =>
        new("spans", new Uri("http://collector:4318/v1/traces"), () => _status.SpansDropped, _status, _logs.CreateLogger("export"), TimeProvider.System);

    private void Fail(ExportHealth health, int spans, string reason)
    {
        // In the order the span processor reports a failed batch: the wire's reason, the loss, then the failure.
        health.Reason(reason);
        _status.SpansLost(spans);
        _status.SpanExportFailed();
        health.Failed(spans);
    }
}
