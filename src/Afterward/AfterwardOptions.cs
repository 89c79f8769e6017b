using Microsoft.Extensions.Logging;

namespace Afterward;

/// <summary>
/// Settings of one Afterward application. Every property documents its default; <see cref="Validate"/> rejects
/// values outside the accepted range with a message that names the option.
/// </summary>
public sealed class AfterwardOptions
{
    /// <summary>
    /// The application name transactions are reported under. Default: configuration <c>Afterward:AppName</c>, then the
    /// environment variable <c>AFTERWARD_APP_NAME</c>, then the entry assembly's name.
    /// </summary>
    public string? AppName { get; set; }

    /// <summary>Apdex threshold T: satisfying ≤ T, tolerating ≤ 4T, else frustrating. Default 0.5 s; accepted (0, 1 h].</summary>
    public TimeSpan ApdexThreshold { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Transactions running longer than this are dropped when they end (counted under
    /// <c>Supportability/Transaction/Dropped/TooLong</c>). Default 20 minutes; accepted (0, 7 days].
    /// </summary>
    public TimeSpan MaxTransactionDuration { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>
    /// Distinct transaction names kept per application and kind (web, background); further names roll up into
    /// <c>{kind}/{group}/*</c>. Default 1000; accepted 1–100,000.
    /// </summary>
    public int MaxTransactionNames { get; set; } = 1000;

    /// <summary>How often metrics are harvested into per-interval deltas. Default 60 s; accepted [100 ms, 1 h].</summary>
    public TimeSpan HarvestInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The clock used for every timestamp and timer. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Where the agent also logs when no host provides an <see cref="ILoggerFactory"/> (processes that only call
    /// <see cref="Agent.Initialize"/>). Default null: only the <c>Afterward</c> EventSource (read it with
    /// <c>dotnet-trace</c> or an <c>EventListener</c>); the agent never writes to the console by itself.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>OpenTelemetry (OTLP) export settings. Default: no export.</summary>
    public OtlpOptions Otlp { get; set; } = new();

    /// <summary>Settings of the background-task runner.</summary>
    public BackgroundTaskOptions BackgroundTasks { get; set; } = new();

    /// <summary>Checks every option and throws an <see cref="ArgumentException"/> naming the first invalid one.</summary>
    /// <exception cref="ArgumentException">An option is outside its accepted range.</exception>
    public void Validate()
    {
        Require(AppName is null || !string.IsNullOrWhiteSpace(AppName), nameof(AppName), "must not be empty or white space", AppName);
        RequireRange(ApdexThreshold, TimeSpan.Zero, TimeSpan.FromHours(1), nameof(ApdexThreshold), "(0, 1 hour]");
        RequireRange(MaxTransactionDuration, TimeSpan.Zero, TimeSpan.FromDays(7), nameof(MaxTransactionDuration), "(0, 7 days]");
        Require(MaxTransactionNames is >= 1 and <= 100_000, nameof(MaxTransactionNames), "must be between 1 and 100000", MaxTransactionNames);
        Require(HarvestInterval >= TimeSpan.FromMilliseconds(100) && HarvestInterval <= TimeSpan.FromHours(1),
            nameof(HarvestInterval), "must be between 100 ms and 1 hour", HarvestInterval);
        Require(TimeProvider is not null, nameof(TimeProvider), "must not be null", null);
        Require(Otlp is not null, nameof(Otlp), "must not be null", null);
        Require(BackgroundTasks is not null, nameof(BackgroundTasks), "must not be null", null);
        Otlp!.Validate();
        BackgroundTasks!.Validate();
    }

    internal AfterwardOptions Clone() => new()
    {
        AppName = AppName,
        ApdexThreshold = ApdexThreshold,
        MaxTransactionDuration = MaxTransactionDuration,
        MaxTransactionNames = MaxTransactionNames,
        HarvestInterval = HarvestInterval,
        TimeProvider = TimeProvider,
        LoggerFactory = LoggerFactory,
        Otlp = Otlp.Clone(),
        BackgroundTasks = BackgroundTasks.Clone(),
    };

    internal static void RequireRange(TimeSpan value, TimeSpan exclusiveMin, TimeSpan inclusiveMax, string name, string range) =>
        Require(value > exclusiveMin && value <= inclusiveMax, name, "must be in " + range, value);

    internal static void Require(bool condition, string name, string rule, object? actual)
    {
        if (!condition)
        {
            throw new ArgumentException($"AfterwardOptions.{name} {rule}; it was '{actual}'.", name);
        }
    }
}
