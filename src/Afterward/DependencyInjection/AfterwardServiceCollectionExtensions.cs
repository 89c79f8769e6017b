using Afterward;
using Afterward.DependencyInjection;
using Afterward.Tasks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Afterward in a host (web app or Generic Host worker).</summary>
public static class AfterwardServiceCollectionExtensions
{
    /// <summary>
    /// Adds the agent: <see cref="AfterwardOptions"/> bound from the <c>Afterward</c> configuration section then
    /// <paramref name="configure"/>, validated when the host starts; the host's own <see cref="Application"/> and
    /// <see cref="IAfterwardAgent"/> as singletons; the scoped <see cref="BackgroundTasks"/> and the runner that
    /// executes them, started with the host and drained when it stops. Safe to call more than once: later delegates
    /// add to the options.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static IServiceCollection AddAfterward(this IServiceCollection services, Action<AfterwardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Any(static d => d.ServiceType == typeof(AfterwardOptionsSetup)))
        {
            services.AddOptions<AfterwardOptions>().ValidateOnStart();
            services.AddSingleton<AfterwardOptionsSetup>();
            services.AddSingleton<IConfigureOptions<AfterwardOptions>>(static sp => sp.GetRequiredService<AfterwardOptionsSetup>());
            services.AddSingleton<IValidateOptions<AfterwardOptions>>(static sp => sp.GetRequiredService<AfterwardOptionsSetup>());
            services.TryAddSingleton(static sp => ApplicationRegistry.CreateForHost(
                sp.GetRequiredService<IOptions<AfterwardOptions>>().Value,
                sp.GetService<ILoggerFactory>()));
            services.TryAddSingleton<IAfterwardAgent>(static sp => new AfterwardAgentService(sp.GetRequiredService<Application>()));
            services.TryAddSingleton(static sp => new BackgroundTaskRunner(sp.GetRequiredService<Application>(), sp.GetRequiredService<IServiceScopeFactory>()));
            services.AddSingleton<ITaskDispatcher>(static sp => sp.GetRequiredService<BackgroundTaskRunner>());
            services.TryAddSingleton<BackgroundTasks>(); // stateless: a scoped one cost every request that takes it a DI cache entry
            services.TryAddSingleton<AfterwardHostedService>();
            services.AddSingleton<IHostedService>(static sp => sp.GetRequiredService<AfterwardHostedService>());
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return services;
    }
}
