using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Afterward.DependencyInjection;

/// <summary>
/// Binds the <c>Afterward</c> configuration section (before the user's delegate) without reflection, and validates
/// when the host starts. A value that does not parse fails validation with the key's name.
/// </summary>
internal sealed class AfterwardOptionsSetup(IConfiguration? configuration = null) : IConfigureOptions<AfterwardOptions>, IValidateOptions<AfterwardOptions>
{
    public const string SectionName = "Afterward";

    private IReadOnlyList<string> _errors = [];

    public void Configure(AfterwardOptions options)
    {
        if (configuration is null)
        {
            return;
        }

        var section = new ConfigurationReader(configuration.GetSection(SectionName), SectionName);
        Bind(section, options);
        _errors = section.Errors;

        // The standard variables name the service when Afterward:AppName does not (they may come from any configuration source).
        options.AppName ??= NonEmpty(configuration[ApplicationRegistry.AppNameVariable]) ?? NonEmpty(configuration[ApplicationRegistry.ServiceNameVariable]);
    }

    public ValidateOptionsResult Validate(string? name, AfterwardOptions options)
    {
        if (_errors.Count > 0)
        {
            return ValidateOptionsResult.Fail(_errors);
        }

        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }
    }

    internal static void Bind(ConfigurationReader section, AfterwardOptions options)
    {
        string? appName = options.AppName;
        section.Read(nameof(AfterwardOptions.AppName), ref appName);
        options.AppName = appName;

        TimeSpan apdex = options.ApdexThreshold, maxDuration = options.MaxTransactionDuration, harvest = options.HarvestInterval;
        int maxNames = options.MaxTransactionNames;
        section.Read(nameof(AfterwardOptions.ApdexThreshold), ref apdex);
        section.Read(nameof(AfterwardOptions.MaxTransactionDuration), ref maxDuration);
        section.Read(nameof(AfterwardOptions.HarvestInterval), ref harvest);
        section.Read(nameof(AfterwardOptions.MaxTransactionNames), ref maxNames);
        options.ApdexThreshold = apdex;
        options.MaxTransactionDuration = maxDuration;
        options.HarvestInterval = harvest;
        options.MaxTransactionNames = maxNames;

        BindTasks(section.Section(nameof(AfterwardOptions.BackgroundTasks)), options.BackgroundTasks);
        BindOtlp(section.Section(nameof(AfterwardOptions.Otlp)), options.Otlp);
    }

    private static void BindTasks(ConfigurationReader section, BackgroundTaskOptions tasks)
    {
        int concurrency = tasks.MaxConcurrency, capacity = tasks.QueueCapacity, retries = tasks.MaxRetries;
        TimeSpan longTask = tasks.LongTaskWarning, retryDelay = tasks.RetryDelay;
        TimeSpan? timeout = tasks.Timeout;
        section.Read(nameof(BackgroundTaskOptions.MaxConcurrency), ref concurrency);
        section.Read(nameof(BackgroundTaskOptions.QueueCapacity), ref capacity);
        section.Read(nameof(BackgroundTaskOptions.MaxRetries), ref retries);
        section.Read(nameof(BackgroundTaskOptions.LongTaskWarning), ref longTask);
        section.Read(nameof(BackgroundTaskOptions.RetryDelay), ref retryDelay);
        section.Read(nameof(BackgroundTaskOptions.Timeout), ref timeout);
        tasks.MaxConcurrency = concurrency;
        tasks.QueueCapacity = capacity;
        tasks.MaxRetries = retries;
        tasks.LongTaskWarning = longTask;
        tasks.RetryDelay = retryDelay;
        tasks.Timeout = timeout;
    }

    private static void BindOtlp(ConfigurationReader section, OtlpOptions otlp)
    {
        Uri? endpoint = otlp.Endpoint;
        OtlpProtocol? protocol = otlp.Protocol;
        TimeSpan? interval = otlp.ExportInterval, timeout = otlp.Timeout;
        int? queue = otlp.MaxQueueSize;
        section.Read(nameof(OtlpOptions.Endpoint), ref endpoint);
        section.Read(nameof(OtlpOptions.Protocol), ref protocol);
        section.Read(nameof(OtlpOptions.ExportInterval), ref interval);
        section.Read(nameof(OtlpOptions.Timeout), ref timeout);
        section.Read(nameof(OtlpOptions.MaxQueueSize), ref queue);
        otlp.Endpoint = endpoint;
        otlp.Protocol = protocol;
        otlp.ExportInterval = interval;
        otlp.Timeout = timeout;
        otlp.MaxQueueSize = queue;
        foreach (KeyValuePair<string, string> header in section.Section(nameof(OtlpOptions.Headers)).Pairs())
        {
            otlp.Headers[header.Key] = header.Value;
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
