namespace Afterward.Metrics;

/// <summary>Mutable duration statistics in ticks; callers synchronise.</summary>
internal struct Stats
{
    public long Count;
    public long Total;
    public long Exclusive;
    public long Min;
    public long Max;
    public double SumOfSquares;

    public void Record(long duration, long exclusive)
    {
        if (Count == 0 || duration < Min)
        {
            Min = duration;
        }

        if (duration > Max)
        {
            Max = duration;
        }

        Count++;
        Total += duration;
        Exclusive += exclusive;
        double seconds = duration / (double)TimeSpan.TicksPerSecond;
        SumOfSquares += seconds * seconds;
    }

    public void Add(in Stats other)
    {
        if (other.Count == 0)
        {
            return;
        }

        if (Count == 0 || other.Min < Min)
        {
            Min = other.Min;
        }

        if (other.Max > Max)
        {
            Max = other.Max;
        }

        Count += other.Count;
        Total += other.Total;
        Exclusive += other.Exclusive;
        SumOfSquares += other.SumOfSquares;
    }

    public readonly MetricStats ToPublic() =>
        new(Count, TimeSpan.FromTicks(Total), TimeSpan.FromTicks(Exclusive), TimeSpan.FromTicks(Min), TimeSpan.FromTicks(Max), SumOfSquares);

    /// <summary>The "TotalTime" flavour of these stats: exclusive time equals total time.</summary>
    public readonly MetricStats ToTotalTime() =>
        new(Count, TimeSpan.FromTicks(Total), TimeSpan.FromTicks(Total), TimeSpan.FromTicks(Min), TimeSpan.FromTicks(Max), SumOfSquares);
}

/// <summary>Mutable Apdex counts; callers synchronise.</summary>
internal struct ApdexCounts
{
    public long Satisfying;
    public long Tolerating;
    public long Frustrating;

    public readonly long Count => Satisfying + Tolerating + Frustrating;

    public void Add(in ApdexCounts other)
    {
        Satisfying += other.Satisfying;
        Tolerating += other.Tolerating;
        Frustrating += other.Frustrating;
    }

    public readonly ApdexStats ToPublic(TimeSpan threshold) => new(Satisfying, Tolerating, Frustrating, threshold);
}

/// <summary>The Apdex zone a web transaction falls in.</summary>
internal enum ApdexZone
{
    Satisfying,
    Tolerating,
    Frustrating,
}
