using System.Diagnostics;
using Afterward.Metrics;
using Afterward.Transactions;

namespace Afterward;

/// <summary>
/// A timed segment (function trace) inside the current transaction, recorded as <c>{group}/{name}</c> unscoped and
/// scoped to the transaction's final metric name. Dispose it to end it; disposing twice is harmless. Outside a
/// transaction it is a no-op.
/// </summary>
public sealed class SegmentScope : IDisposable, IAsyncDisposable, IFrame
{
    /// <summary>The no-op segment returned when there is no current transaction.</summary>
    internal static readonly SegmentScope None = new();

    private readonly Transaction? _transaction;
    private readonly IFrame? _parent;
    private readonly SegmentEntry? _entry;
    private readonly Activity? _activity;
    private readonly long _startTimestamp;
    /// <summary>The execution contexts just before and just after this segment became current (see <see cref="Dispose"/>).</summary>
    private readonly ExecutionContext? _contextBefore;
    private readonly ExecutionContext? _contextAfter;
    private readonly int _depth;
    private ChildIntervals? _children;
    private int _disposed;

    private SegmentScope()
    {
        _disposed = 1;
    }

    private SegmentScope(IFrame parent, SegmentEntry entry, int depth)
    {
        _transaction = parent.Transaction;
        _parent = parent;
        _entry = entry;
        _depth = depth;
        _startTimestamp = _transaction.Application.Time.GetTimestamp();
        if (AfterwardDiagnostics.Source.HasListeners())
        {
            _activity = AfterwardDiagnostics.Source.StartActivity(entry.MetricName, ActivityKind.Internal);
        }

        _contextBefore = ExecutionContext.Capture();
        AgentContext.Frame = this;
        _contextAfter = ExecutionContext.Capture();
    }

    /// <summary>The segment's metric name (<c>{group}/{name}</c>), or null for the no-op segment.</summary>
    public string? MetricName => _entry?.MetricName;

    Transaction IFrame.Transaction => _transaction!;

    /// <summary>Starts a segment under the current frame, or returns the no-op segment.</summary>
    internal static SegmentScope Start(string name, string? group)
    {
        IFrame? parent = AgentContext.Frame;
        if (parent is null || parent.Transaction.IsEnded)
        {
            return None;
        }

        Transaction transaction = parent.Transaction;
        SegmentEntry entry = transaction.Application.Metrics.ResolveSegment(MetricNames.NormalizeGroup(group), MetricNames.NormalizeName(name));
        int depth = parent is SegmentScope segment ? segment._depth + 1 : 1;
        return new SegmentScope(parent, entry, depth);
    }

    /// <summary>Ends the segment and makes its parent current again.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // When nothing changed the flow's context since this segment became current, the context from before is
        // exactly the one with the parent current: restoring it costs no allocation, where writing the parent back
        // would make a new context. Otherwise only the frame is put back, keeping what else the code changed.
        if (_contextAfter is not null && ReferenceEquals(ExecutionContext.Capture(), _contextAfter))
        {
            ExecutionContext.Restore(_contextBefore!);
        }
        else if (ReferenceEquals(AgentContext.Frame, this))
        {
            AgentContext.Frame = _parent;
        }

        try
        {
            Transaction transaction = _transaction!;
            TimeProvider time = transaction.Application.Time;
            long end = time.GetTimestamp();
            long duration = time.GetElapsedTime(_startTimestamp, end).Ticks;
            long exclusive = duration;
            if (_children is not null)
            {
                exclusive -= time.GetElapsedTime(0, _children.CloseAndMeasureUnion(_startTimestamp, end)).Ticks;
            }

            // A transaction counts its direct children from their records (see Transaction.AddSegment).
            (_parent as SegmentScope)?.AddChild(_startTimestamp, end);
            long offset = time.GetElapsedTime(transaction.StartTimestamp, _startTimestamp).Ticks;
            transaction.AddSegment(new SegmentRecord(_entry!, duration, Math.Max(0, exclusive), offset, _depth));
            _activity?.Stop();
        }
        catch (Exception ex)
        {
            Log.AgentFault(_transaction!.Application.Logger, "ending a segment", ex);
        }
    }

    /// <summary>Ends the segment; see <see cref="Dispose"/>.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return default;
    }

    /// <summary>Notes a direct child's interval (timestamps), for exclusive time.</summary>
    private void AddChild(long start, long end)
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            LazyInitializer.EnsureInitialized(ref _children).Add(start, end);
        }
    }
}
