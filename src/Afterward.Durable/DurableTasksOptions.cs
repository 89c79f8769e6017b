namespace Afterward;

/// <summary>
/// Settings of durable tasks, bound from the <c>Afterward:DurableTasks</c> configuration section first, then the
/// code's values (<see cref="DurableTasksBuilder.Options"/>); validated when the host starts, naming the option.
/// </summary>
public sealed class DurableTasksOptions
{
    /// <summary>Handlers running at once in this instance. Default max(8, 2 × processors); 0 = this instance only enqueues; accepted 0–1024.</summary>
    public int MaxConcurrency { get; set; } = Math.Max(8, 2 * Environment.ProcessorCount);

    /// <summary>Runs that may fail or be lost before a task is dead. Default 10; accepted 1–1000.</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>The first retry's delay; each next one doubles, with jitter, capped at 1 hour. Default 1 s; accepted (0, 1 hour].</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a worker holds a task without renewing; renewed every third of it while the handler runs. A task
    /// whose process died runs again once its lease expired. Default 30 s; accepted [1 s, 1 hour].
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long succeeded and dead tasks are kept. Default 7 days; accepted [1 minute, 3650 days].</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the store is polled when nothing woke the runner (tasks of other processes, delays). Default 1 s; accepted [10 ms, 1 minute].</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Checks every option and throws an <see cref="ArgumentException"/> naming the first invalid one.</summary>
    /// <exception cref="ArgumentException">An option is outside its accepted range.</exception>
    public void Validate()
    {
        Require(MaxConcurrency is >= 0 and <= 1024, nameof(MaxConcurrency), "must be between 0 and 1024", MaxConcurrency);
        Require(MaxAttempts is >= 1 and <= 1000, nameof(MaxAttempts), "must be between 1 and 1000", MaxAttempts);
        Require(RetryDelay > TimeSpan.Zero && RetryDelay <= TimeSpan.FromHours(1), nameof(RetryDelay), "must be in (0, 1 hour]", RetryDelay);
        Require(LeaseDuration >= TimeSpan.FromSeconds(1) && LeaseDuration <= TimeSpan.FromHours(1), nameof(LeaseDuration), "must be in [1 s, 1 hour]", LeaseDuration);
        Require(Retention >= TimeSpan.FromMinutes(1) && Retention <= TimeSpan.FromDays(3650), nameof(Retention), "must be in [1 minute, 3650 days]", Retention);
        Require(PollInterval >= TimeSpan.FromMilliseconds(10) && PollInterval <= TimeSpan.FromMinutes(1), nameof(PollInterval), "must be in [10 ms, 1 minute]", PollInterval);
    }

    private static void Require(bool condition, string name, string rule, object actual)
    {
        if (!condition)
        {
            throw new ArgumentException($"DurableTasksOptions.{name} {rule}; it was '{actual}'.", name);
        }
    }
}
