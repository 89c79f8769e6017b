namespace Afterward.Transactions;

/// <summary>The intervals of a frame's direct children; children may run concurrently and overlap.</summary>
internal sealed class ChildIntervals
{
    private readonly List<(long Start, long End)> _intervals = [];
    private bool _closed;

    public void Add(long start, long end)
    {
        lock (_intervals)
        {
            if (!_closed)
            {
                _intervals.Add((start, end));
            }
        }
    }

    /// <summary>Closes the set and returns the length of the union of the children, clipped to [start, end], in timestamp units.</summary>
    public long CloseAndMeasureUnion(long start, long end)
    {
        lock (_intervals)
        {
            _closed = true;
            _intervals.Sort(static (a, b) => a.Start.CompareTo(b.Start));
            long covered = 0;
            long cursor = start;
            foreach ((long childStart, long childEnd) in _intervals)
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
}
