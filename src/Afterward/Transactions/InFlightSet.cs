using System.Collections.Concurrent;

namespace Afterward.Transactions;

/// <summary>
/// The running transactions started under one application, listed only once a dashboard asks for them
/// (<see cref="Track"/>): until then a transaction's start and end pay one field read.
/// </summary>
internal sealed class InFlightSet
{
    private readonly ConcurrentDictionary<Transaction, byte> _running = new();
    private volatile bool _tracking;

    public bool IsTracking => _tracking;

    public IEnumerable<Transaction> Running => _running.Keys;

    public void Track() => _tracking = true;

    public void Add(Transaction transaction) => _running.TryAdd(transaction, 0);

    public void Remove(Transaction transaction) => _running.TryRemove(transaction, out _);
}
