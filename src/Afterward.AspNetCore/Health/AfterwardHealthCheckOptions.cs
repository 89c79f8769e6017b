namespace Afterward;

/// <summary>Thresholds of the Afterward health check (<c>services.AddHealthChecks().AddAfterward()</c>).</summary>
public sealed class AfterwardHealthCheckOptions
{
    /// <summary>Degraded when the in-memory task queue holds more than this share of its capacity. Default 0.8; accepted (0, 1].</summary>
    public double QueueShareDegraded { get; set; } = 0.8;

    /// <summary>Unhealthy when tasks wait and no worker started or finished one for this long. Default 1 minute; accepted (0, 1 day].</summary>
    public TimeSpan StalledAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Degraded when an OTLP export failed within this long. Default 2 minutes; accepted (0, 1 day].</summary>
    public TimeSpan ExportFailureWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>With durable tasks: degraded when more than this many are queued, retrying or scheduled. Default 10,000; accepted ≥ 0.</summary>
    public long DurableBacklogDegraded { get; set; } = 10_000;

    /// <summary>With durable tasks: degraded when at least this many are dead. Default 1; accepted ≥ 1.</summary>
    public long DurableDeadDegraded { get; set; } = 1;

    internal void Validate()
    {
        AfterwardOptions.Require(QueueShareDegraded is > 0 and <= 1, "HealthCheck.QueueShareDegraded", "must be in (0, 1]", QueueShareDegraded);
        AfterwardOptions.RequireRange(StalledAfter, TimeSpan.Zero, TimeSpan.FromDays(1), "HealthCheck.StalledAfter", "(0, 1 day]");
        AfterwardOptions.RequireRange(ExportFailureWindow, TimeSpan.Zero, TimeSpan.FromDays(1), "HealthCheck.ExportFailureWindow", "(0, 1 day]");
        AfterwardOptions.Require(DurableBacklogDegraded >= 0, "HealthCheck.DurableBacklogDegraded", "must not be negative", DurableBacklogDegraded);
        AfterwardOptions.Require(DurableDeadDegraded >= 1, "HealthCheck.DurableDeadDegraded", "must be at least 1", DurableDeadDegraded);
    }
}
