namespace Afterward;

/// <summary>Settings of the background-task runner that executes <c>BackgroundTasks.AddTask</c> work after the response.</summary>
public sealed class BackgroundTaskOptions
{
    /// <summary>
    /// How many requests' task lists run at the same time (the tasks of one request always run one after another).
    /// Default: the larger of 8 and twice the processor count; accepted 1–1024.
    /// </summary>
    public int MaxConcurrency { get; set; } = Math.Max(8, Environment.ProcessorCount * 2);

    /// <summary>
    /// How many task lists may wait to run. When the queue is full, completing a response waits for room
    /// (backpressure) rather than dropping work. Default 10,000; accepted 1–1,000,000.
    /// </summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>A task running longer than this is logged as a warning (once per task). Default 30 s; accepted (0, 1 day].</summary>
    public TimeSpan LongTaskWarning { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Retries of a failing task, with exponential backoff and jitter. Default 0 (no retry); accepted 0–100.
    /// A task may override this when it is added.
    /// </summary>
    public int MaxRetries { get; set; }

    /// <summary>The first retry delay; later delays grow exponentially, with jitter. Default 200 ms; accepted (0, 1 hour].</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Per-task timeout: its <see cref="CancellationToken"/> fires after this long. Default null (none); accepted (0, 1 day].</summary>
    public TimeSpan? Timeout { get; set; }

    internal void Validate()
    {
        AfterwardOptions.Require(MaxConcurrency is >= 1 and <= 1024, "BackgroundTasks.MaxConcurrency", "must be between 1 and 1024", MaxConcurrency);
        AfterwardOptions.Require(QueueCapacity is >= 1 and <= 1_000_000, "BackgroundTasks.QueueCapacity", "must be between 1 and 1000000", QueueCapacity);
        AfterwardOptions.RequireRange(LongTaskWarning, TimeSpan.Zero, TimeSpan.FromDays(1), "BackgroundTasks.LongTaskWarning", "(0, 1 day]");
        AfterwardOptions.Require(MaxRetries is >= 0 and <= 100, "BackgroundTasks.MaxRetries", "must be between 0 and 100", MaxRetries);
        AfterwardOptions.RequireRange(RetryDelay, TimeSpan.Zero, TimeSpan.FromHours(1), "BackgroundTasks.RetryDelay", "(0, 1 hour]");
        if (Timeout is { } timeout)
        {
            AfterwardOptions.RequireRange(timeout, TimeSpan.Zero, TimeSpan.FromDays(1), "BackgroundTasks.Timeout", "(0, 1 day]");
        }
    }

    internal BackgroundTaskOptions Clone() => (BackgroundTaskOptions)MemberwiseClone();
}
