using System.Diagnostics.Tracing;
using Microsoft.Extensions.Logging;

namespace Afterward.Diagnostics;

/// <summary>
/// Where the agent logs when no host gives it an <see cref="ILoggerFactory"/>: the <see cref="AfterwardEventSource"/>,
/// and the factory passed in <see cref="AfterwardOptions.LoggerFactory"/> if any. Never the console: a library that
/// only instruments must not write to a process's output.
/// </summary>
internal sealed class AgentLoggerFactory : ILoggerFactory
{
    private readonly ILoggerFactory? _inner;

    private AgentLoggerFactory(ILoggerFactory? inner) => _inner = inner;

    public static ILoggerFactory Create(ILoggerFactory? inner) => new AgentLoggerFactory(inner);

    public ILogger CreateLogger(string categoryName)
    {
        var eventSource = new EventSourceLogger(categoryName);
        return _inner is null ? eventSource : new TeeLogger(eventSource, _inner.CreateLogger(categoryName));
    }

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("The agent's logger factory takes no providers; pass AfterwardOptions.LoggerFactory instead.");

    public void Dispose()
    {
        // The inner factory belongs to whoever passed it.
    }

    private sealed class EventSourceLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && AfterwardEventSource.Log.IsEnabled(Level(logLevel), EventKeywords.All);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                AfterwardEventSource.Log.Message((int)logLevel, category, eventId.Id, formatter(state, exception), Describe(exception));
            }
        }

        private static EventLevel Level(LogLevel level) => level switch
        {
            LogLevel.Critical => EventLevel.Critical,
            LogLevel.Error => EventLevel.Error,
            LogLevel.Warning => EventLevel.Warning,
            LogLevel.Information => EventLevel.Informational,
            _ => EventLevel.Verbose,
        };

        private static string Describe(Exception? exception)
        {
            if (exception is null)
            {
                return string.Empty;
            }

            try
            {
                return exception.ToString();
            }
            catch (Exception)
            {
                // An exception whose ToString throws is still reported by its type.
                return exception.GetType().FullName ?? "exception";
            }
        }
    }

    private sealed class TeeLogger(ILogger first, ILogger second) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => second.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => first.IsEnabled(logLevel) || second.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            first.Log(logLevel, eventId, state, exception, formatter);
            second.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
