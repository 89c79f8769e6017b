using Afterward;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Endpoint metadata that makes an endpoint's transactions background (non-web) transactions.</summary>
public static class AfterwardEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Reports this endpoint's requests as background (non-web) transactions, out of web response time and Apdex.
    /// Keeps the route name unless <paramref name="name"/> is given.
    /// </summary>
    /// <param name="builder">The endpoint or group.</param>
    /// <param name="name">The transaction name; null keeps the route name.</param>
    /// <param name="group">The group used with <paramref name="name"/>; default <c>Function</c>.</param>
    public static TBuilder AsBackgroundTask<TBuilder>(this TBuilder builder, string? name = null, string? group = null)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithMetadata(new BackgroundTaskAttribute { Name = name, Group = group });
    }
}
