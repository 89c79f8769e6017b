namespace Afterward.Transactions;

/// <summary>
/// The ambient frame of the current execution flow: a <see cref="Transaction"/> or the innermost open
/// <see cref="SegmentScope"/>. It flows across <c>await</c> and into work started inside it.
/// </summary>
internal static class AgentContext
{
    private static readonly AsyncLocal<IFrame?> Current = new();

    public static IFrame? Frame
    {
        get => Current.Value;
        set => Current.Value = value;
    }

    /// <summary>The current transaction, or null when there is none or it already ended.</summary>
    public static Transaction? Transaction
    {
        get
        {
            Transaction? transaction = Current.Value?.Transaction;
            return transaction is { IsEnded: false } ? transaction : null;
        }
    }
}

/// <summary>Something timed that child segments report to: a transaction or a segment.</summary>
internal interface IFrame
{
    Transaction Transaction { get; }

    /// <summary>Notes a direct child's interval (timestamps), for exclusive time.</summary>
    void AddChild(long start, long end);
}
