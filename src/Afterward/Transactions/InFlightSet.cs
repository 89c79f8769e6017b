namespace Afterward.Transactions;

/// <summary>
/// The running transactions started under one application, listed only once a dashboard asks for them
/// (<see cref="Track"/>): until then a transaction's start and end pay one field read. Once tracking, a starting
/// transaction claims a free slot of a fixed table with one compare-and-swap and frees it with one write at its end:
/// no allocation and no lock per request. Each thread claims slots going round the table from where it last claimed
/// one, so that starts rarely probe a slot that is still taken. A transaction that finds no free slot within a few
/// probes (many thousands running at once) runs unlisted: the in-flight view is a bounded sample then, as its rows are.
/// </summary>
internal sealed class InFlightSet
{
    /// <summary>Slots in the table (128 KiB of references, allocated when tracking starts).</summary>
    internal const int Capacity = 16_384;

    /// <summary>Slots a start probes before it gives up on being listed.</summary>
    private const int MaxProbes = 64;

    /// <summary>Where this thread claims next (each thread starts at its own place, spread over the table).</summary>
    [ThreadStatic]
    private static int _cursor;

    private volatile Transaction?[]? _slots;

    public bool IsTracking => _slots is not null;

    /// <summary>A snapshot of the listed transactions running now.</summary>
    public IEnumerable<Transaction> Running
    {
        get
        {
            var running = new List<Transaction>();
            if (_slots is { } slots)
            {
                foreach (Transaction? transaction in slots)
                {
                    if (transaction is not null)
                    {
                        running.Add(transaction);
                    }
                }
            }

            return running;
        }
    }

    public void Track()
    {
        if (_slots is null)
        {
            Interlocked.CompareExchange(ref _slots, new Transaction?[Capacity], null);
        }
    }

    /// <summary>
    /// Lists a starting transaction: the slot to pass to <see cref="Remove"/>, or -1 when it runs unlisted (not
    /// tracking, or no free slot near this thread's cursor).
    /// </summary>
    public int Add(Transaction transaction)
    {
        if (_slots is not { } slots)
        {
            return -1;
        }

        int cursor = _cursor;
        if (cursor == 0)
        {
            cursor = Environment.CurrentManagedThreadId * 997; // a different region per thread
        }

        for (int probe = 0; probe < MaxProbes; probe++)
        {
            int index = (int)((uint)(cursor + probe) % Capacity);
            if (Volatile.Read(ref slots[index]) is null && Interlocked.CompareExchange(ref slots[index], transaction, null) is null)
            {
                _cursor = index + 1;
                return index;
            }
        }

        return -1;
    }

    /// <summary>Takes an ended transaction off the list (its slot from <see cref="Add"/>; below 0, nothing listed).</summary>
    public void Remove(int slot)
    {
        if (slot >= 0)
        {
            Volatile.Write(ref _slots![slot], null);
        }
    }
}
