using Microsoft.Extensions.Logging;

namespace Afterward.Export;

/// <summary>
/// Turns one signal's export results into a few log lines: a warning when it starts failing (with the reason the
/// HTTP handler saw), one line when it recovers (with what was lost meanwhile) and, for spans, a warning when the
/// queue overflows. A collector that stays down is logged once, not once per batch.
/// </summary>
internal sealed class ExportHealth(string signal, Uri endpoint, Func<long> lostSoFar, ExportStatusCells status, ILogger logger, TimeProvider time)
{
    private readonly Lock _gate = new();
    private string? _reason;
    private bool _failing;
    private long _lostAtOutageStart;
    private bool _queueFullReported;

    /// <summary>Called by the HTTP handler with what went wrong on the wire, before the exporter reports the failure.</summary>
    public void Reason(string reason)
    {
        Volatile.Write(ref _reason, reason);
        status.Failed(signal + ": " + reason, time.GetUtcNow());
    }

    public void Exception(Exception exception) => Reason(exception.GetType().Name + ": " + exception.Message);

    /// <summary>Called after a failed export has been counted; <paramref name="lost"/> is what that export lost.</summary>
    public void Failed(long lost)
    {
        string? reason = Volatile.Read(ref _reason);
        if (reason is null)
        {
            reason = "the exporter reported a failure";
            status.Failed(signal + ": " + reason, time.GetUtcNow());
        }

        Volatile.Write(ref _reason, null);
        lock (_gate)
        {
            if (_failing)
            {
                return;
            }

            _failing = true;
            // The outage began with this failure, whose loss is already in the running total.
            _lostAtOutageStart = lostSoFar() - lost;
        }

        ExportLog.ExportFailing(logger, signal, endpoint, reason);
    }

    public void Succeeded()
    {
        Volatile.Write(ref _reason, null);
        long lost;
        lock (_gate)
        {
            _queueFullReported = false;
            if (!_failing)
            {
                return;
            }

            _failing = false;
            lost = lostSoFar() - _lostAtOutageStart;
        }

        ExportLog.ExportRecovered(logger, signal, endpoint, lost);
    }

    public void QueueFull(int capacity)
    {
        lock (_gate)
        {
            if (_queueFullReported)
            {
                return;
            }

            _queueFullReported = true;
        }

        ExportLog.QueueFull(logger, capacity, endpoint);
    }
}
