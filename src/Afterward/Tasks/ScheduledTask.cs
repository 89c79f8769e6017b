using Afterward.Tasks;

namespace Afterward;

/// <summary>
/// A task added with <see cref="BackgroundTasks"/>: set its name, retries or timeout before the response completes.
/// Unset values come from <see cref="BackgroundTaskOptions"/>.
/// </summary>
/// <remarks>Only the library creates it (the task itself derives from it, so that adding a task is one allocation).</remarks>
public class ScheduledTask
{
    private Settings? _settings;

    private protected ScheduledTask()
    {
    }

    internal string? Name
    {
        get => _settings?.Name;
        set => Set().Name = value;
    }

    internal string? Group
    {
        get => _settings?.Group;
        set => Set().Group = value;
    }

    internal int? MaxRetries
    {
        get => _settings?.MaxRetries;
        set => Set().MaxRetries = value;
    }

    internal TimeSpan? RetryDelay
    {
        get => _settings?.RetryDelay;
        set => Set().RetryDelay = value;
    }

    internal TimeSpan? Timeout
    {
        get => _settings?.Timeout;
        set => Set().Timeout = value;
    }

    /// <summary>The transaction name and group of this task (default: the method's readable name, group <c>Function</c>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public ScheduledTask WithName(string name, string? group = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        Group = group;
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

        MaxRetries = maxRetries;
        RetryDelay = delay;
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

        Timeout = timeout;
        return this;
    }

    private Settings Set() => _settings ??= new Settings();

    /// <summary>What the With* methods set; most tasks set nothing and carry no settings object.</summary>
    private sealed class Settings
    {
        public string? Name;
        public string? Group;
        public int? MaxRetries;
        public TimeSpan? RetryDelay;
        public TimeSpan? Timeout;
    }
}
