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

/// <summary>What a segment starts under: a transaction or another segment.</summary>
internal interface IFrame
{
    Transaction Transaction { get; }
}
