namespace Afterward.Metrics;

/// <summary>
/// The stats of one metric as an interval (recorded since the last harvest) and the cumulative totals before it.
/// Recording touches only the interval; a harvest folds it into the totals.
/// </summary>
internal struct MetricCell
{
    public Stats Interval;
    public Stats Cumulative;

    public readonly Stats Totals
    {
        get
        {
            Stats total = Cumulative;
            total.Add(Interval);
            return total;
        }
    }

    public Stats Harvest()
    {
        Stats delta = Interval;
        Cumulative.Add(delta);
        Interval = default;
        return delta;
    }
}

/// <summary>Apdex counts split the same way as <see cref="MetricCell"/>.</summary>
internal struct ApdexCell
{
    public ApdexCounts Interval;
    public ApdexCounts Cumulative;

    public readonly ApdexCounts Totals
    {
        get
        {
            ApdexCounts total = Cumulative;
            total.Add(Interval);
            return total;
        }
    }

    public void Record(ApdexZone zone)
    {
        switch (zone)
        {
            case ApdexZone.Satisfying: Interval.Satisfying++; break;
            case ApdexZone.Tolerating: Interval.Tolerating++; break;
            default: Interval.Frustrating++; break;
        }
    }

    public ApdexCounts Harvest()
    {
        ApdexCounts delta = Interval;
        Cumulative.Add(delta);
        Interval = default;
        return delta;
    }
}

/// <summary>A counter split the same way as <see cref="MetricCell"/>.</summary>
internal struct CountCell
{
    public long Interval;
    public long Cumulative;

    public readonly long Totals => Cumulative + Interval;

    public long Harvest()
    {
        long delta = Interval;
        Cumulative += delta;
        Interval = 0;
        return delta;
    }
}
