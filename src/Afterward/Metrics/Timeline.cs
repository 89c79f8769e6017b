namespace Afterward.Metrics;

/// <summary>One 10-second interval of an application's activity.</summary>
internal readonly record struct TimelinePoint(
    DateTimeOffset Start,
    long WebCount,
    double WebTotalMs,
    long WebErrors,
    long Satisfying,
    long Tolerating,
    long Frustrating,
    long BackgroundCount,
    double BackgroundTotalMs,
    long BackgroundErrors);

/// <summary>
/// The last 30 minutes of an application in 10-second slots (a ring of 180), for the dashboard's charts and its
/// "last 30 minutes" figures, independent of <see cref="AfterwardOptions.HarvestInterval"/>. Recording takes one
/// uncontended lock per slot and allocates nothing.
/// </summary>
internal sealed class Timeline
{
    public static readonly TimeSpan Resolution = TimeSpan.FromSeconds(10);
    public const int Slots = 180;

    private readonly Slot[] _slots = new Slot[Slots];

    public Timeline()
    {
        for (int i = 0; i < Slots; i++)
        {
            _slots[i] = new Slot();
        }
    }

    public void Record(TransactionKind kind, long durationTicks, ApdexZone? zone, bool error, DateTimeOffset now)
    {
        long epoch = now.UtcTicks / Resolution.Ticks;
        Slot slot = _slots[epoch % Slots];
        lock (slot.Gate)
        {
            if (slot.Epoch != epoch)
            {
                slot.Reset(epoch);
            }

            if (kind == TransactionKind.Web)
            {
                slot.WebCount++;
                slot.WebTicks += durationTicks;
                slot.WebErrors += error ? 1 : 0;
                switch (zone)
                {
                    case ApdexZone.Satisfying: slot.Satisfying++; break;
                    case ApdexZone.Tolerating: slot.Tolerating++; break;
                    case ApdexZone.Frustrating: slot.Frustrating++; break;
                }
            }
            else
            {
                slot.BackgroundCount++;
                slot.BackgroundTicks += durationTicks;
                slot.BackgroundErrors += error ? 1 : 0;
            }
        }
    }

    /// <summary>The 180 slots ending with the current one, oldest first; slots with no activity are zeros.</summary>
    public TimelinePoint[] Read(DateTimeOffset now)
    {
        long current = now.UtcTicks / Resolution.Ticks;
        var points = new TimelinePoint[Slots];
        for (int i = 0; i < Slots; i++)
        {
            long epoch = current - (Slots - 1) + i;
            Slot slot = _slots[epoch % Slots];
            var start = new DateTimeOffset(epoch * Resolution.Ticks, TimeSpan.Zero);
            lock (slot.Gate)
            {
                points[i] = slot.Epoch != epoch
                    ? new TimelinePoint(start, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                    : new TimelinePoint(start, slot.WebCount, slot.WebTicks / (double)TimeSpan.TicksPerMillisecond, slot.WebErrors,
                        slot.Satisfying, slot.Tolerating, slot.Frustrating,
                        slot.BackgroundCount, slot.BackgroundTicks / (double)TimeSpan.TicksPerMillisecond, slot.BackgroundErrors);
            }
        }

        return points;
    }

    private sealed class Slot
    {
        public readonly Lock Gate = new();
        public long Epoch = -1;
        public long WebCount;
        public long WebTicks;
        public long WebErrors;
        public long Satisfying;
        public long Tolerating;
        public long Frustrating;
        public long BackgroundCount;
        public long BackgroundTicks;
        public long BackgroundErrors;

        public void Reset(long epoch)
        {
            Epoch = epoch;
            WebCount = WebTicks = WebErrors = Satisfying = Tolerating = Frustrating = 0;
            BackgroundCount = BackgroundTicks = BackgroundErrors = 0;
        }
    }
}
