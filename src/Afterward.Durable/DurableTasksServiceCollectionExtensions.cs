using Afterward;
using Afterward.DependencyInjection;
using Afterward.Durable.Handlers;
using Afterward.Durable.Runtime;
using Afterward.Durable.Storage;
using Afterward.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers durable tasks (<c>AddDurableTasks</c>).</summary>
public static class DurableTasksServiceCollectionExtensions
{
    /// <summary>
    /// Adds durable tasks beside the in-memory ones (and <c>AddAfterward()</c> if it was not called):
    /// <see cref="IDurableTasks"/>, <c>BackgroundTasks.AddDurableTaskAsync</c>, the durable runner (started and
    /// stopped with the host) and the store (SQLite file <c>afterward-tasks.db</c> in the content root unless
    /// <paramref name="configure"/> names one). <see cref="DurableTasksOptions"/> are bound from
    /// <c>Afterward:DurableTasks</c>, then the code's values, and validated when the host starts. Safe to call more
    /// than once: later calls add handlers to the same registration.
    /// </summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A handler name is invalid (thrown by the builder, at the call).</exception>
    /// <exception cref="InvalidOperationException">A handler name is registered twice.</exception>
    public static IServiceCollection AddDurableTasks(this IServiceCollection services, Action<DurableTasksBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        if (services.FirstOrDefault(static d => d.ServiceType == typeof(DurableTasksBuilder))?.ImplementationInstance is DurableTasksBuilder existing)
        {
            configure(existing);
            return services;
        }

        services.AddAfterward();
        var builder = new DurableTasksBuilder(services, new HandlerRegistry());
        configure(builder);
        services.AddSingleton(builder);
        services.AddSingleton(static sp => ResolveOptions(sp.GetRequiredService<DurableTasksBuilder>(), sp.GetService<IConfiguration>()));
        services.AddSingleton(static sp =>
        {
            DurableTasksBuilder registration = sp.GetRequiredService<DurableTasksBuilder>();
            Func<IServiceProvider, IDurableStore> store = registration.StoreFactory
                ?? (static provider => new SqliteDurableStore(DurableTasksBuilder.ContentRootPath(provider, "Data Source=afterward-tasks.db"), SqliteSynchronous.Normal));
            return store(sp);
        });
        services.AddSingleton(static sp => new DurableTaskRunner(
            sp.GetRequiredService<Application>(), sp.GetRequiredService<IServiceScopeFactory>(), sp.GetRequiredService<IDurableStore>(),
            sp.GetRequiredService<DurableTasksBuilder>().Handlers, sp.GetRequiredService<DurableTasksOptions>()));
        services.AddSingleton<ITaskDispatcher>(static sp => sp.GetRequiredService<DurableTaskRunner>());
        services.AddSingleton(static sp => new DurableTasksService(sp.GetRequiredService<DurableTaskRunner>(), sp.GetRequiredService<DurableTasksOptions>()));
        services.AddSingleton<IDurableTasks>(static sp => sp.GetRequiredService<DurableTasksService>());
        services.AddSingleton<IDurableTaskSource>(static sp => sp.GetRequiredService<DurableTasksService>());
        services.AddOptions<DurableStartupCheck>().ValidateOnStart();
        services.AddSingleton<IValidateOptions<DurableStartupCheck>, DurableStartupValidator>();
        return services;
    }

    /// <summary>Configuration first, then every value the code changed from its default.</summary>
    private static DurableTasksOptions ResolveOptions(DurableTasksBuilder builder, IConfiguration? configuration)
    {
        var defaults = new DurableTasksOptions();
        var options = new DurableTasksOptions();
        var errors = new List<string>();
        if (configuration is not null)
        {
            var section = new ConfigurationReader(configuration.GetSection("Afterward:DurableTasks"), "Afterward:DurableTasks", errors);
            int concurrency = options.MaxConcurrency, attempts = options.MaxAttempts;
            TimeSpan retry = options.RetryDelay, lease = options.LeaseDuration, retention = options.Retention, poll = options.PollInterval;
            section.Read(nameof(DurableTasksOptions.MaxConcurrency), ref concurrency);
            section.Read(nameof(DurableTasksOptions.MaxAttempts), ref attempts);
            section.Read(nameof(DurableTasksOptions.RetryDelay), ref retry);
            section.Read(nameof(DurableTasksOptions.LeaseDuration), ref lease);
            section.Read(nameof(DurableTasksOptions.Retention), ref retention);
            section.Read(nameof(DurableTasksOptions.PollInterval), ref poll);
            (options.MaxConcurrency, options.MaxAttempts, options.RetryDelay, options.LeaseDuration, options.Retention, options.PollInterval) =
                (concurrency, attempts, retry, lease, retention, poll);
        }

        DurableTasksOptions code = builder.Options;
        if (code.MaxConcurrency != defaults.MaxConcurrency)
        {
            options.MaxConcurrency = code.MaxConcurrency;
        }

        if (code.MaxAttempts != defaults.MaxAttempts)
        {
            options.MaxAttempts = code.MaxAttempts;
        }

        if (code.RetryDelay != defaults.RetryDelay)
        {
            options.RetryDelay = code.RetryDelay;
        }

        if (code.LeaseDuration != defaults.LeaseDuration)
        {
            options.LeaseDuration = code.LeaseDuration;
        }

        if (code.Retention != defaults.Retention)
        {
            options.Retention = code.Retention;
        }

        if (code.PollInterval != defaults.PollInterval)
        {
            options.PollInterval = code.PollInterval;
        }

        if (errors.Count > 0)
        {
            throw new OptionsValidationException("Afterward:DurableTasks", typeof(DurableTasksOptions), errors);
        }

        options.Validate();
        return options;
    }

    /// <summary>An options type with no settings: validating it when the host starts resolves the durable options.</summary>
    private sealed class DurableStartupCheck;

    /// <summary>Resolves the options when the host starts, so that an invalid one fails the start naming it.</summary>
    private sealed class DurableStartupValidator(IServiceProvider services) : IValidateOptions<DurableStartupCheck>
    {
        public ValidateOptionsResult Validate(string? name, DurableStartupCheck options)
        {
            try
            {
                services.GetRequiredService<DurableTasksOptions>();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException ex)
            {
                return ValidateOptionsResult.Fail(ex.Message);
            }
            catch (OptionsValidationException ex)
            {
                return ValidateOptionsResult.Fail(ex.Failures);
            }
        }
    }
}
