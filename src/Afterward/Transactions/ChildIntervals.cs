using System.Buffers;
using Afterward.Metrics;

namespace Afterward.Transactions;

/// <summary>
/// The intervals of a segment's direct children (or a transaction's past the segment cap); children may run
/// concurrently and overlap. The first interval is kept inline: most segments that have children have one.
/// </summary>
internal sealed class ChildIntervals
{
    private (long Start, long End) _first;
    private List<(long Start, long End)>? _more;
    private int _count;
    private bool _closed;

    public void Add(long start, long end)
    {
        lock (this)
        {
            if (_closed)
            {
                return;
            }

            if (_count++ == 0)
            {
                _first = (start, end);
            }
            else
            {
                (_more ??= []).Add((start, end));
            }
        }
    }

    /// <summary>Closes the set and returns the length of the union of the children, clipped to [start, end].</summary>
    public long CloseAndMeasureUnion(long start, long end)
    {
        lock (this)
        {
            _closed = true;
            if (_more is null)
            {
                return _count == 0 ? 0 : Math.Max(0, Math.Min(_first.End, end) - Math.Max(_first.Start, start));
            }

            _more.Add(_first);
            return MeasureUnion(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_more), start, end);
        }
    }

    /// <summary>
    /// The length of the union of a transaction's direct children, as offsets from its start clipped to [0, duration]:
    /// its kept depth-1 segments and those <paramref name="dropped"/> past the cap. Sequential children (the usual
    /// case) are measured in one pass over the records, without copying them.
    /// </summary>
    public static long MeasureDirectChildren(ReadOnlySpan<SegmentRecord> records, ChildIntervals? dropped, long duration)
    {
        long covered = 0;
        long cursor = 0;
        int direct = 0;
        bool ordered = true;
        foreach (ref readonly SegmentRecord record in records)
        {
            if (record.Depth != 1)
            {
                continue;
            }

            direct++;
            if (record.StartOffset < cursor)
            {
                ordered = false;
            }
            else if (ordered)
            {
                long to = Math.Min(record.StartOffset + record.Duration, duration);
                covered += Math.Max(0, to - record.StartOffset);
                cursor = Math.Max(cursor, to);
            }
        }

        if (ordered && dropped is null)
        {
            return covered;
        }

        (long, long)[] rented = ArrayPool<(long, long)>.Shared.Rent(direct + (dropped?._count ?? 0));
        int count = 0;
        foreach (ref readonly SegmentRecord record in records)
        {
            if (record.Depth == 1)
            {
                rented[count++] = (record.StartOffset, record.StartOffset + record.Duration);
            }
        }

        if (dropped is not null)
        {
            lock (dropped)
            {
                dropped._closed = true;
                rented[count++] = dropped._first;
                foreach ((long Start, long End) interval in dropped._more ?? [])
                {
                    rented[count++] = interval;
                }
            }
        }

        long union = MeasureUnion(rented.AsSpan(0, count), 0, duration);
        ArrayPool<(long, long)>.Shared.Return(rented);
        return union;
    }

    /// <summary>Sorts the intervals and returns the length of their union clipped to [start, end].</summary>
    private static long MeasureUnion(Span<(long Start, long End)> intervals, long start, long end)
    {
        intervals.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        long covered = 0;
        long cursor = start;
        foreach ((long childStart, long childEnd) in intervals)
        {
            long from = Math.Max(childStart, cursor);
            long to = Math.Min(childEnd, end);
            if (to > from)
            {
                covered += to - from;
                cursor = to;
            }
        }

        return covered;
    }
}
