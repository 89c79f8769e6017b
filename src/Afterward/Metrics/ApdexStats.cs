namespace Afterward;

/// <summary>Apdex counts of a web transaction metric.</summary>
/// <param name="Satisfying">Transactions that took at most <paramref name="Threshold"/> and did not fail.</param>
/// <param name="Tolerating">Transactions that took at most four times the threshold and did not fail.</param>
/// <param name="Frustrating">Slower transactions, and every transaction that failed.</param>
/// <param name="Threshold">The Apdex threshold T in force.</param>
public sealed record ApdexStats(long Satisfying, long Tolerating, long Frustrating, TimeSpan Threshold)
{
    /// <summary>How many transactions were counted.</summary>
    public long Count => Satisfying + Tolerating + Frustrating;

    /// <summary>The Apdex score, (satisfying + tolerating / 2) / total, or null when nothing was counted.</summary>
    public double? Score => Count == 0 ? null : (Satisfying + (Tolerating / 2.0)) / Count;
}
