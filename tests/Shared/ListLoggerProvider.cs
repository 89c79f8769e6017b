using Microsoft.Extensions.Logging;

namespace Afterward.Testing;

/// <summary>Collects log entries (information and above) so tests can assert what a user would read in the logs.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    private readonly List<(LogLevel Level, int EventId, string Message)> _entries = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the next entry is logged: wait on it instead of sleeping.</summary>
    public Task Changed
    {
        get
        {
            lock (_entries)
            {
                return _changed.Task;
            }
        }
    }

    public IReadOnlyList<(LogLevel Level, int EventId, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IReadOnlyList<string> Messages => [.. Entries.Select(static e => e.Message)];

    /// <summary>Waits until an entry matches (entries are written by other threads), failing after <paramref name="timeout"/>.</summary>
    public async Task<(LogLevel Level, int EventId, string Message)> WaitForAsync(Func<(LogLevel Level, int EventId, string Message), bool> match, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed = Changed;
            foreach (var entry in Entries)
            {
                if (match(entry))
                {
                    return entry;
                }
            }

            try
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No matching log entry within {timeout}; logged:\n" + string.Join("\n", Messages));
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new ListLogger(this);

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            TaskCompletionSource changed;
            lock (owner._entries)
            {
                owner._entries.Add((logLevel, eventId.Id, formatter(state, exception) + (exception is null ? string.Empty : " | " + exception.Message)));
                changed = owner._changed;
                owner._changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            changed.TrySetResult();
        }
    }
}
