using Afterward.Transactions;

namespace Afterward;

/// <summary>
/// The scope returned by <see cref="Agent.BackgroundTask"/>. When it started a new transaction, disposing it ends
/// and records that transaction; when it joined a current transaction, disposing it ends only its segment (if any).
/// Disposing twice is harmless. It is a struct so that starting a transaction allocates as little as possible; a
/// <c>default</c> value is a scope that does nothing. A <c>using</c> block cannot see an exception passing through it: call
/// <see cref="Agent.NoticeError"/> to record one.
/// </summary>
public readonly struct TransactionScope : IDisposable, IAsyncDisposable
{
    /// <summary>The scope returned when the agent could not start anything; disposing it does nothing.</summary>
    internal static TransactionScope None => default;

    private readonly ScopeMode _mode;
    private readonly IFrame? _previous;
    private readonly SegmentScope? _segment;

    private TransactionScope(Transaction? transaction, ScopeMode mode, IFrame? previous, SegmentScope? segment)
    {
        Transaction = transaction;
        _mode = mode;
        _previous = previous;
        _segment = segment;
    }

    /// <summary>The transaction this scope started or joined; null when the agent could not record.</summary>
    public Transaction? Transaction { get; }

    /// <summary>True when this scope started its own transaction (there was no current one).</summary>
    public bool IsNewTransaction => _mode == ScopeMode.Owner;

    /// <summary>A scope owning a new transaction, which it makes current.</summary>
    internal static TransactionScope Owner(Transaction transaction)
    {
        IFrame? previous = AgentContext.Frame;
        AgentContext.Frame = transaction;
        return new TransactionScope(transaction, ScopeMode.Owner, previous, null);
    }

    /// <summary>A scope inside an existing transaction, optionally timing a segment.</summary>
    internal static TransactionScope Joined(Transaction transaction, SegmentScope? segment) =>
        new(transaction, ScopeMode.Joined, null, segment);

    /// <summary>Records an exception on the transaction this scope started or joined.</summary>
    internal void Fail(Exception exception)
    {
        // Inside another background transaction the caller may still catch it: only the owner or a reclassified
        // web transaction records the error.
        if (_segment is null)
        {
            Transaction?.NoticeError(exception);
        }
    }

    /// <summary>Ends the scope: ends its own transaction, or its segment.</summary>
    public void Dispose()
    {
        // Idempotent without a flag: ending a transaction or a segment twice does nothing, and the ambient frame
        // is only restored while it still points at this scope's transaction.
        if (_mode == ScopeMode.Owner)
        {
            if (ReferenceEquals(AgentContext.Frame?.Transaction, Transaction))
            {
                AgentContext.Frame = _previous;
            }

            Transaction!.End();
        }
        else
        {
            _segment?.Dispose();
        }
    }

    /// <summary>Ends the scope; see <see cref="Dispose"/>.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return default;
    }

    private enum ScopeMode
    {
        None,
        Owner,
        Joined,
    }
}
