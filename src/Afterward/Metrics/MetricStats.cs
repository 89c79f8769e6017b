namespace Afterward;

/// <summary>The statistics of one metric: how often it was recorded and how long it took.</summary>
/// <param name="CallCount">How many times the metric was recorded.</param>
/// <param name="Total">The sum of the recorded durations.</param>
/// <param name="Exclusive">The sum of the durations minus the time spent in child segments.</param>
/// <param name="Min">The shortest recorded duration.</param>
/// <param name="Max">The longest recorded duration.</param>
/// <param name="SumOfSquares">The sum of the squared durations, in seconds².</param>
public sealed record MetricStats(long CallCount, TimeSpan Total, TimeSpan Exclusive, TimeSpan Min, TimeSpan Max, double SumOfSquares)
{
    /// <summary>The mean duration, or zero when nothing was recorded.</summary>
    public TimeSpan Average => CallCount == 0 ? TimeSpan.Zero : Total / CallCount;
}
