using System.Collections.Concurrent;
using System.Reflection;
using Afterward.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Afterward;

/// <summary>
/// The process-wide index of applications by name, and the default one for static calls that name none. It owns
/// nothing a host creates: a host's application is created by its container (<see cref="CreateForHost"/>), listed
/// here for name lookups (<see cref="Agent.Snapshot"/>, the dashboard) and stopped with its host. Applications that
/// static calls create without a host (scripts, generated interceptors) are owned here.
/// </summary>
internal static class ApplicationRegistry
{
    public const string AppNameVariable = "AFTERWARD_APP_NAME";
    public const string ServiceNameVariable = "OTEL_SERVICE_NAME";

    /// <summary>Applications that request data (<c>afterward.app_name</c>) may create; each holds its own metrics.</summary>
    public const int MaxApplications = 100;

    private static readonly ConcurrentDictionary<string, Application> Applications = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();

    private static AfterwardOptions? _defaults;
    private static ILoggerFactory? _defaultLoggerFactory;
    private static string? _defaultName;

    public static IEnumerable<Application> All => Applications.Values;

    /// <summary>The default application's name: the first one configured, else the environment, else the entry assembly.</summary>
    public static string DefaultName => Volatile.Read(ref _defaultName) ?? FallbackName();

    public static bool TryFind(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Application? application) =>
        Applications.TryGetValue(name, out application);

    /// <summary>
    /// The application a request names at runtime: an existing one, or a new one (owned by <paramref name="host"/>)
    /// while fewer than <see cref="MaxApplications"/> exist. False for names no application may have (blank, over 255
    /// characters, control characters) and past the limit, so that data-derived names cannot grow memory without bound.
    /// </summary>
    public static bool TryGetForRequest(string name, Application host, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Application? application)
    {
        application = null;
        if (string.IsNullOrWhiteSpace(name) || name.Length > 255 || name.Any(char.IsControl))
        {
            return false;
        }

        if (Applications.TryGetValue(name, out application))
        {
            return true;
        }

        if (Applications.Count >= MaxApplications)
        {
            return false;
        }

        application = GetOrCreate(name, host);
        return true;
    }

    /// <summary>The application of that name, created with the default options (and started) if needed.</summary>
    public static Application Get(string? name) => GetOrCreate(name ?? DefaultName, host: null);

    /// <summary>
    /// Configures the application of a process without a host (<see cref="Agent.Initialize"/>): the latest
    /// configuration of a name wins; the first name configured in the process becomes the default.
    /// </summary>
    public static Application Configure(AfterwardOptions options)
    {
        options = Prepare(options);
        lock (Gate)
        {
            SetDefaults(options);
            if (Applications.TryGetValue(options.AppName!, out Application? existing) && !existing.IsHosted)
            {
                existing.Configure(options, LoggerFactoryFor(options, hostLoggerFactory: null));
                return existing;
            }

            var application = new Application(options.AppName!, options, LoggerFactoryFor(options, hostLoggerFactory: null), hosted: false);
            Applications[application.Name] = application;
            application.Start();
            return application;
        }
    }

    /// <summary>
    /// A host's own application, created by its container and started by its hosted service. An application of the
    /// same name that static calls created before the host started is adopted (it keeps what it recorded); one that
    /// another host owns is not touched: the newest host's application is the one found by name from then on.
    /// </summary>
    public static Application CreateForHost(AfterwardOptions options, ILoggerFactory? hostLoggerFactory)
    {
        options = Prepare(options);
        lock (Gate)
        {
            SetDefaults(options);
            ILoggerFactory loggerFactory = LoggerFactoryFor(options, hostLoggerFactory);
            if (Applications.TryGetValue(options.AppName!, out Application? existing) && !existing.IsHosted && existing.Host is null)
            {
                existing.Adopt(options, loggerFactory);
                return existing;
            }

            var application = new Application(options.AppName!, options, loggerFactory, hosted: true);
            Applications[application.Name] = application;
            return application;
        }
    }

    /// <summary>AFTERWARD_APP_NAME, then OTEL_SERVICE_NAME, then the entry assembly's name, then "Afterward".</summary>
    public static string FallbackName()
    {
        foreach (string variable in (ReadOnlySpan<string>)[AppNameVariable, ServiceNameVariable])
        {
            string? fromEnvironment = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrWhiteSpace(fromEnvironment))
            {
                return fromEnvironment.Trim();
            }
        }

        return Assembly.GetEntryAssembly()?.GetName().Name ?? "Afterward";
    }

    private static Application GetOrCreate(string name, Application? host)
    {
        if (Applications.TryGetValue(name, out Application? application))
        {
            return application;
        }

        lock (Gate)
        {
            if (Applications.TryGetValue(name, out application))
            {
                return application;
            }

            // A data-created application reports through the host whose request named it: its logger and options.
            AfterwardOptions options = (host?.Options ?? _defaults ?? new AfterwardOptions()).Clone();
            options.AppName = name;
            ILoggerFactory loggerFactory = host?.LoggerFactory ?? _defaultLoggerFactory ?? LoggerFactoryFor(options, hostLoggerFactory: null);
            application = new Application(name, options, loggerFactory, hosted: false) { Host = host };
            Applications[name] = application;
            application.Start();
            return application;
        }
    }

    private static AfterwardOptions Prepare(AfterwardOptions options)
    {
        options = options.Clone();
        options.AppName ??= FallbackName();
        options.Validate();
        return options;
    }

    private static void SetDefaults(AfterwardOptions options)
    {
        if (_defaults is null)
        {
            _defaults = options;
            _defaultLoggerFactory = LoggerFactoryFor(options, hostLoggerFactory: null);
            Volatile.Write(ref _defaultName, options.AppName);
        }
    }

    /// <summary>A host's logging, else the agent's EventSource plus the factory given in the options, if any.</summary>
    private static ILoggerFactory LoggerFactoryFor(AfterwardOptions options, ILoggerFactory? hostLoggerFactory) =>
        hostLoggerFactory ?? AgentLoggerFactory.Create(options.LoggerFactory);
}
