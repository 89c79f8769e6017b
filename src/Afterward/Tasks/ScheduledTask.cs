using Afterward.Tasks;

namespace Afterward;

/// <summary>
/// A task added with <see cref="BackgroundTasks"/>: set its name, retries or timeout before the response completes.
/// Unset values come from <see cref="BackgroundTaskOptions"/>.
/// </summary>
public sealed class ScheduledTask
{
    private readonly TaskItem _item;

    internal ScheduledTask(TaskItem item) => _item = item;

    /// <summary>The transaction name and group of this task (default: the method's readable name, group <c>Function</c>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public ScheduledTask WithName(string name, string? group = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        _item.Name = name;
        _item.Group = group;
        return this;
    }

    /// <summary>Retries a failing attempt up to <paramref name="maxRetries"/> times with exponential backoff and jitter.</summary>
    /// <param name="maxRetries">0–100.</param>
    /// <param name="delay">The first delay (default <see cref="BackgroundTaskOptions.RetryDelay"/>); (0, 1 hour].</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range.</exception>
    public ScheduledTask WithRetry(int maxRetries, TimeSpan? delay = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxRetries, 100);
        if (delay is { } d && (d <= TimeSpan.Zero || d > TimeSpan.FromHours(1)))
        {
            throw new ArgumentOutOfRangeException(nameof(delay), d, "The retry delay must be in (0, 1 hour].");
        }

        _item.MaxRetries = maxRetries;
        _item.RetryDelay = delay;
        return this;
    }

    /// <summary>Cancels each attempt's <see cref="CancellationToken"/> after <paramref name="timeout"/>; a timed-out task fails.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is not in (0, 1 day].</exception>
    public ScheduledTask WithTimeout(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be in (0, 1 day].");
        }

        _item.Timeout = timeout;
        return this;
    }
}
