using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Afterward;

/// <summary>The process-wide set of applications and the default one for calls that name none.</summary>
internal static class ApplicationRegistry
{
    public const string AppNameVariable = "AFTERWARD_APP_NAME";
    public const string ServiceNameVariable = "OTEL_SERVICE_NAME";

    private static readonly ConcurrentDictionary<string, Application> Applications = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();
    private static readonly Lazy<ILoggerFactory> DefaultLoggerFactory = new(() => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(LogLevel.Warning)
        .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)));

    private static AfterwardOptions? _defaults;
    private static string? _defaultName;

    /// <summary>Applications that request data (<c>afterward.app_name</c>) may create; each holds its own metrics.</summary>
    public const int MaxApplications = 100;

    public static IEnumerable<Application> All => Applications.Values;

    /// <summary>
    /// Set by the dashboard: transactions are then listed in <see cref="InFlight"/> while they run, at the cost of an
    /// insert and a removal per transaction; otherwise nothing is listed and nothing is paid.
    /// </summary>
    public static bool TrackInFlight { get; set; }

    /// <summary>The running transactions of every application (while <see cref="TrackInFlight"/>).</summary>
    public static ConcurrentDictionary<Transaction, byte> InFlight { get; } = new();

    /// <summary>
    /// The application a request names at runtime: an existing one, or a new one while fewer than
    /// <see cref="MaxApplications"/> exist. False for names no application may have (blank, over 255 characters,
    /// control characters) and past the limit, so that data-derived names cannot grow memory without bound.
    /// </summary>
    public static bool TryGetForRequest(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Application? application)
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

        application = Get(name);
        return true;
    }

    /// <summary>The default application's name: the first one configured, else the environment, else the entry assembly.</summary>
    public static string DefaultName => Volatile.Read(ref _defaultName) ?? FallbackName();

    public static bool IsInitialized => Volatile.Read(ref _defaults) is not null;

    public static Application Get(string? name)
    {
        name ??= DefaultName;
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

            AfterwardOptions options = (_defaults ?? new AfterwardOptions()).Clone();
            options.AppName = name;
            application = new Application(name, options, options.LoggerFactory ?? DefaultLoggerFactory.Value);
            Applications[name] = application;
            return application;
        }
    }

    /// <summary>
    /// Applies validated options to the application they name (created if needed). The latest configuration of a
    /// name wins; the first name configured in the process becomes the default.
    /// </summary>
    public static Application Configure(AfterwardOptions options, ILoggerFactory? hostLoggerFactory)
    {
        options = options.Clone();
        options.AppName ??= FallbackName();
        options.Validate();
        string name = options.AppName;
        lock (Gate)
        {
            _defaults ??= options;
            _defaultName ??= name;
            ILoggerFactory loggerFactory = hostLoggerFactory ?? options.LoggerFactory ?? DefaultLoggerFactory.Value;
            if (Applications.TryGetValue(name, out Application? existing))
            {
                existing.Configure(options, loggerFactory);
                return existing;
            }

            var application = new Application(name, options, loggerFactory);
            Applications[name] = application;
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
}
