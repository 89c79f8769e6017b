namespace Afterward.Metrics;

/// <summary>An application's web transactions per Apdex zone, for the observed <c>afterward.apdex</c> counter.</summary>
internal sealed class ApdexZoneCounters
{
    private readonly long[] _counts = new long[3];

    public void Add(ApdexZone zone) => Interlocked.Increment(ref _counts[(int)zone]);

    public long Read(ApdexZone zone) => Interlocked.Read(ref _counts[(int)zone]);
}
