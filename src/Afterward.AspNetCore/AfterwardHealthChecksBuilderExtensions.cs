using Afterward;
using Afterward.AspNetCore.Health;
using Afterward.Tasks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds Afterward's health check.</summary>
public static class AfterwardHealthChecksBuilderExtensions
{
    /// <summary>
    /// Reports whether background work keeps up (see <see cref="AfterwardHealthCheckOptions"/> for the thresholds):
    /// Unhealthy when tasks wait and no worker makes progress, Degraded when the queue is nearly full, a task runs
    /// long, OTLP export fails or durable tasks pile up or die. Needs <c>services.AddAfterward()</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Changes the thresholds.</param>
    /// <param name="name">The check's name; default <c>afterward</c>.</param>
    /// <param name="tags">Tags to filter checks by (for example <c>ready</c>).</param>
    /// <exception cref="ArgumentException">A threshold is outside its accepted range.</exception>
    public static IHealthChecksBuilder AddAfterward(this IHealthChecksBuilder builder, Action<AfterwardHealthCheckOptions>? configure = null,
        string name = "afterward", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new AfterwardHealthCheckOptions();
        configure?.Invoke(options);
        options.Validate();
        return builder.Add(new HealthCheckRegistration(name, sp => new AfterwardHealthCheck(
            sp.GetRequiredService<Application>(), sp.GetRequiredService<BackgroundTaskRunner>(), options, sp.GetService<IDurableTaskSource>()),
            failureStatus: null, tags));
    }
}
