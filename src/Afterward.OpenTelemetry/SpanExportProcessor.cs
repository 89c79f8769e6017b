using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;

namespace Afterward.Export;

/// <summary>
/// Batches finished spans to the OTLP exporter on its own thread, through a queue of bounded size: ending a span
/// never waits and never allocates beyond the queue, whatever the collector does. Spans that do not fit, and
/// batches the collector refuses, are counted in <see cref="OtlpExportStatus"/> and reported once per outage by
/// <see cref="ExportHealth"/>. After a failure the next attempt waits (1 s doubling to 5 s), so a dead collector
/// costs one connection attempt per few seconds.
/// </summary>
internal sealed class SpanExportProcessor : BaseExportProcessor<Activity>
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly ConcurrentQueue<Activity> _queue = new();
    private readonly ExportStatusCells _status;
    private readonly ExportHealth _health;
    private readonly int _capacity;
    private readonly int _batchSize;
    private readonly TimeSpan _delay;
    private readonly AutoResetEvent _wake = new(false);
    private readonly ManualResetEventSlim _stopping = new(false);
    private readonly object _progressGate = new(); // Monitor.Wait needs an object, not a Lock
    private readonly Thread _thread;
    private long _count;
    private long _accepted;
    private long _handled;

    private readonly Func<Activity, bool> _owns;

    public SpanExportProcessor(BaseExporter<Activity> exporter, OtlpSettings settings, ExportStatusCells status, ExportHealth health, Func<Activity, bool> owns)
        : base(exporter)
    {
        _owns = owns;
        _status = status;
        _health = health;
        _capacity = settings.MaxQueueSize;
        _batchSize = Math.Min(settings.MaxBatchSize, settings.MaxQueueSize);
        _delay = settings.ScheduleDelay;
        status.QueueDepth = () => Interlocked.Read(ref _count);
        _thread = new Thread(Run) { IsBackground = true, Name = "Afterward OTLP span export" };
        _thread.Start();
    }

    protected override void OnExport(Activity data)
    {
        if (!_owns(data))
        {
            // Another host of this process exports it (every provider sees every Afterward activity).
            return;
        }

        if (_stopping.IsSet || !TryReserve())
        {
            _status.SpansLost(1);
            _health.QueueFull(_capacity);
            return;
        }

        _queue.Enqueue(data);
        Interlocked.Increment(ref _accepted);
        if (Interlocked.Read(ref _count) >= _batchSize)
        {
            _wake.Set();
        }
    }

    /// <summary>Takes a place in the queue; the count never reads above the capacity, even for a moment.</summary>
    private bool TryReserve()
    {
        long count = Interlocked.Read(ref _count);
        while (count < _capacity)
        {
            long seen = Interlocked.CompareExchange(ref _count, count + 1, count);
            if (seen == count)
            {
                return true;
            }

            count = seen;
        }

        return false;
    }

    protected override bool OnForceFlush(int timeoutMilliseconds)
    {
        long target = Interlocked.Read(ref _accepted);
        _wake.Set();
        return WaitHandled(target, timeoutMilliseconds) && exporter.ForceFlush(timeoutMilliseconds);
    }

    protected override bool OnShutdown(int timeoutMilliseconds)
    {
        var clock = Stopwatch.StartNew();
        _stopping.Set();
        _wake.Set();
        bool drained = timeoutMilliseconds == Timeout.Infinite ? _thread.Join(Timeout.Infinite) : _thread.Join(timeoutMilliseconds);
        if (!drained)
        {
            // The collector is too slow to take what is left within the shutdown budget: count it as lost.
            int left = (int)Interlocked.Read(ref _count);
            _status.SpansLost(left);
        }

        int remaining = timeoutMilliseconds == Timeout.Infinite ? Timeout.Infinite : Math.Max(0, timeoutMilliseconds - (int)clock.ElapsedMilliseconds);
        return exporter.Shutdown(remaining) && drained;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && !_thread.IsAlive)
        {
            _wake.Dispose();
            _stopping.Dispose();
        }
    }

    private void Run()
    {
        var batch = new Activity[_batchSize];
        TimeSpan backoff = TimeSpan.Zero;
        while (true)
        {
            bool stopping = _stopping.IsSet;
            if (!stopping && Interlocked.Read(ref _count) < _batchSize)
            {
                _wake.WaitOne(_delay);
                stopping = _stopping.IsSet;
            }

            bool failed = false;
            while (!failed && Take(batch) is var taken and > 0)
            {
                failed = !Send(batch, taken);
                if (failed && stopping)
                {
                    // Shutting down with the collector failing: do not spend the budget on more attempts.
                    int lost = 0;
                    while (_queue.TryDequeue(out _))
                    {
                        lost++;
                    }

                    Interlocked.Add(ref _count, -lost);
                    _status.SpansLost(lost);
                    Handled(lost);
                }
            }

            if (stopping && _queue.IsEmpty)
            {
                return;
            }

            if (failed)
            {
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                _stopping.Wait(backoff);
            }
            else
            {
                backoff = TimeSpan.Zero;
            }
        }
    }

    private int Take(Activity[] batch)
    {
        int taken = 0;
        while (taken < batch.Length && _queue.TryDequeue(out Activity? activity))
        {
            batch[taken++] = activity;
        }

        Interlocked.Add(ref _count, -taken);
        return taken;
    }

    private bool Send(Activity[] batch, int count)
    {
        ExportResult result;
        try
        {
            result = exporter.Export(new Batch<Activity>(batch, count));
        }
        catch (Exception ex)
        {
            // Exporters should not throw; if one does, treat it as a failed batch rather than losing the thread.
            _health.Exception(ex);
            result = ExportResult.Failure;
        }

        Array.Clear(batch, 0, count);
        if (result == ExportResult.Success)
        {
            _status.SpansSent(count);
            _health.Succeeded();
        }
        else
        {
            _status.SpansLost(count);
            _status.SpanExportFailed();
            _health.Failed(count);
        }

        Handled(count);
        return result == ExportResult.Success;
    }

    private void Handled(int count)
    {
        lock (_progressGate)
        {
            _handled += count;
            Monitor.PulseAll(_progressGate);
        }
    }

    private bool WaitHandled(long target, int timeoutMilliseconds)
    {
        var clock = Stopwatch.StartNew();
        lock (_progressGate)
        {
            while (_handled < target)
            {
                int left = timeoutMilliseconds == Timeout.Infinite ? Timeout.Infinite : timeoutMilliseconds - (int)clock.ElapsedMilliseconds;
                if (left != Timeout.Infinite && left <= 0 || !Monitor.Wait(_progressGate, left))
                {
                    return _handled >= target;
                }
            }

            return true;
        }
    }
}
