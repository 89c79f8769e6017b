namespace Afterward.Metrics;

/// <summary>One recorded execution of a transaction, with its segments, kept because it was among the slowest.</summary>
/// <param name="EndedAt">When it ended.</param>
/// <param name="DurationMs">Its duration.</param>
/// <param name="Error">Whether it failed.</param>
/// <param name="TraceId">The W3C trace id of its activity, when one was recorded.</param>
/// <param name="Segments">Its segments in start order (at most <see cref="SlowTraces.MaxSegments"/>).</param>
internal sealed record TraceSample(DateTimeOffset EndedAt, double DurationMs, bool Error, string? TraceId, IReadOnlyList<TraceSegment> Segments);

/// <summary>A segment of a <see cref="TraceSample"/>: offsets from the transaction's start.</summary>
internal readonly record struct TraceSegment(string Name, double StartMs, double DurationMs, int Depth);

/// <summary>
/// The slowest executions of one transaction name over the last 30 minutes, at most <see cref="Capacity"/>. Only an
/// execution that makes the list is copied, so steady traffic rarely allocates here. The caller holds the entry's lock.
/// </summary>
internal sealed class SlowTraces
{
    public const int Capacity = 5;
    public const int MaxSegments = 200;
    private static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(30);

    private readonly List<TraceSample> _samples = new(Capacity);

    /// <summary>The fastest sample's duration (ticks) and the oldest's end, kept as the list changes.</summary>
    private double _fastestTicks;
    private DateTimeOffset _oldest;

    /// <summary>Drops samples older than 30 minutes; true when this duration would make the list. Allocates nothing.</summary>
    public bool Qualifies(long durationTicks, DateTimeOffset now)
    {
        // Steady traffic: the list is full, none of it has expired, and this one is no slower than its fastest.
        if (_samples.Count == Capacity && durationTicks <= _fastestTicks && now - _oldest <= KeepFor)
        {
            return false;
        }

        bool faster = false;
        for (int i = _samples.Count - 1; i >= 0; i--)
        {
            if (now - _samples[i].EndedAt > KeepFor)
            {
                _samples.RemoveAt(i);
                Summarize();
            }
            else if (_samples[i].DurationMs * TimeSpan.TicksPerMillisecond < durationTicks)
            {
                faster = true;
            }
        }

        return _samples.Count < Capacity || faster;
    }

    public void Add(TraceSample sample)
    {
        if (_samples.Count >= Capacity)
        {
            int fastest = 0;
            for (int i = 1; i < _samples.Count; i++)
            {
                if (_samples[i].DurationMs < _samples[fastest].DurationMs)
                {
                    fastest = i;
                }
            }

            _samples.RemoveAt(fastest);
        }

        _samples.Add(sample);
        Summarize();
    }

    private void Summarize()
    {
        _fastestTicks = double.MaxValue;
        _oldest = DateTimeOffset.MaxValue;
        foreach (TraceSample sample in _samples)
        {
            _fastestTicks = Math.Min(_fastestTicks, sample.DurationMs * TimeSpan.TicksPerMillisecond);
            _oldest = sample.EndedAt < _oldest ? sample.EndedAt : _oldest;
        }
    }

    /// <summary>Slowest first.</summary>
    public TraceSample[] Snapshot(DateTimeOffset now) =>
        [.. _samples.Where(s => now - s.EndedAt <= KeepFor).OrderByDescending(static s => s.DurationMs)];

    public static TraceSegment[] Segments(ReadOnlySpan<SegmentRecord> segments)
    {
        if (segments.IsEmpty)
        {
            return [];
        }

        // Records are kept in the order they ended; a trace lists them by start, a parent before a child that
        // started in the same tick.
        SegmentRecord[] ordered = segments.ToArray();
        Array.Sort(ordered, static (a, b) => a.StartOffset != b.StartOffset ? a.StartOffset.CompareTo(b.StartOffset) : a.Depth.CompareTo(b.Depth));
        return
        [
            .. ordered.Take(MaxSegments).Select(static s => new TraceSegment(
                s.Entry.MetricName,
                s.StartOffset / (double)TimeSpan.TicksPerMillisecond,
                s.Duration / (double)TimeSpan.TicksPerMillisecond,
                s.Depth)),
        ];
    }
}
