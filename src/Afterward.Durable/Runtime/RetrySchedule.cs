namespace Afterward.Durable.Runtime;

/// <summary>
/// When a failed run is tried again: <see cref="DurableTasksOptions.RetryDelay"/> doubled per failed attempt, with
/// ±50 % jitter so that tasks failing together do not retry together, capped at one hour. (The schedule is stored
/// with the task, so Polly's in-process retry loop does not fit here; the in-memory runner uses it.)
/// </summary>
internal static class RetrySchedule
{
    private static readonly TimeSpan Cap = TimeSpan.FromHours(1);

    public static TimeSpan Delay(TimeSpan first, int failedAttempts, double random)
    {
        double exponential = first.TotalMilliseconds * Math.Pow(2, Math.Clamp(failedAttempts - 1, 0, 30));
        double jittered = exponential * (0.5 + random);
        return TimeSpan.FromMilliseconds(Math.Min(jittered, Cap.TotalMilliseconds));
    }
}
