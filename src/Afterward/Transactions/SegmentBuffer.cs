using Afterward.Metrics;

namespace Afterward.Transactions;

/// <summary>
/// A transaction's kept segment records, in the order they ended. The array is lent per thread: the recorder hands it
/// back once the transaction is recorded, so the next transaction on that thread records its segments without
/// allocating. Only the transaction, under its lock, and then the recorder, after taking it away, ever hold the array.
/// </summary>
internal struct SegmentBuffer
{
    private const int InitialLength = 8;
    /// <summary>Arrays longer than this (2.5 KB) are left to the GC rather than kept per thread.</summary>
    private const int MaxLentLength = 64;

    [ThreadStatic]
    private static SegmentRecord[]? _spare;

    private SegmentRecord[]? _records;
    private int _count;

    public readonly int Count => _count;

    public readonly ReadOnlySpan<SegmentRecord> Records => _records.AsSpan(0, _count);

    public void Add(in SegmentRecord record)
    {
        SegmentRecord[]? records = _records;
        if (records is null)
        {
            records = _records = _spare ?? new SegmentRecord[InitialLength];
            _spare = null;
        }
        else if (_count == records.Length)
        {
            var grown = new SegmentRecord[Math.Min(records.Length * 2, Transaction.MaxSegments)];
            records.CopyTo(grown, 0);
            Lend(records, _count);
            records = _records = grown;
        }

        records[_count++] = record;
    }

    /// <summary>Moves the records out, leaving this buffer empty.</summary>
    public SegmentBuffer Take()
    {
        SegmentBuffer taken = this;
        this = default;
        return taken;
    }

    /// <summary>Hands the array back for the next transaction on this thread; the buffer must not be used after.</summary>
    public readonly void Release()
    {
        if (_records is { } records)
        {
            Lend(records, _count);
        }
    }

    private static void Lend(SegmentRecord[] records, int count)
    {
        if (records.Length <= MaxLentLength)
        {
            Array.Clear(records, 0, count);
            _spare = records;
        }
    }
}
