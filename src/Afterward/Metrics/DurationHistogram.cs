namespace Afterward.Metrics;

/// <summary>
/// Durations of one transaction name in fixed buckets (1 ms … 5 min, then overflow): constant memory, no allocation
/// when recording, and enough to estimate percentiles. The caller holds the entry's lock.
/// </summary>
internal sealed class DurationHistogram
{
    /// <summary>Upper bounds of the buckets, in milliseconds; a last bucket holds everything longer.</summary>
    public static readonly double[] UpperBoundsMs = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000];

    private readonly long[] _counts = new long[UpperBoundsMs.Length + 1];

    public void Record(long ticks)
    {
        double ms = ticks / (double)TimeSpan.TicksPerMillisecond;
        int bucket = 0;
        while (bucket < UpperBoundsMs.Length && ms > UpperBoundsMs[bucket])
        {
            bucket++;
        }

        _counts[bucket]++;
    }

    public long[] Counts() => (long[])_counts.Clone();

    /// <summary>
    /// The <paramref name="quantile"/> estimated by linear interpolation inside its bucket, clamped to the observed
    /// minimum and maximum (which are exact).
    /// </summary>
    public static double Percentile(long[] counts, double quantile, double minMs, double maxMs)
    {
        long total = counts.Sum();
        if (total == 0)
        {
            return 0;
        }

        double rank = quantile * total;
        long seen = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            if (counts[i] == 0 || seen + counts[i] < rank)
            {
                seen += counts[i];
                continue;
            }

            double lower = i == 0 ? 0 : UpperBoundsMs[i - 1];
            double upper = i < UpperBoundsMs.Length ? UpperBoundsMs[i] : maxMs;
            double estimate = lower + (upper - lower) * ((rank - seen) / counts[i]);
            return Math.Clamp(estimate, minMs, maxMs);
        }

        return maxMs;
    }
}
