namespace Afterward.Tasks;

/// <summary>
/// A backend's bookkeeping of task outcomes: its counters, the <c>afterward.tasks</c> instrument and the log lines
/// that name tasks. Every method is safe to call from a catch block or a timer: a logger that throws, or an exception
/// that cannot be formatted, costs the log line and is counted, never the worker.
/// </summary>
internal sealed class TaskAccounting(Application application, TaskCounterCells counters)
{
    /// <summary>Characters of an exception's message kept for display.</summary>
    internal const int MaxMessageLength = 4096;

    private long _logFailures;

    public TaskCounterCells Counters { get; } = counters;

    /// <summary>Log lines lost because the logging pipeline threw.</summary>
    public long LogFailures => Interlocked.Read(ref _logFailures);

    public void Completed()
    {
        Counters.Completed();
        CountOutcome("completed", 1);
    }

    public void Failed(string task, string traceId, Exception exception, DateTimeOffset at)
    {
        (string type, string message) = Describe(exception);
        Counters.Failed(new TaskFailure(task, type, message, at));
        CountOutcome("failed", 1);
        Safely(static (state, logger) => TaskLog.TaskFailed(logger, state.task, state.traceId, state.exception), (task, traceId, exception));
    }

    public void Retrying(string task, int attempt, TimeSpan delay, Exception? exception)
    {
        Counters.Retry();
        CountOutcome("retried", 1);
        Safely(static (state, logger) => TaskLog.TaskRetrying(logger, state.task, state.attempt, state.delay, state.exception), (task, attempt, delay, exception));
    }

    public void Skipped(List<TaskItem> items, string transactionName)
    {
        Counters.AddSkipped(items.Count);
        CountOutcome("skipped", items.Count);
        Safely(static (state, logger) => TaskLog.TasksSkipped(logger, state.transactionName, state.items.Count, Names(state.items)), (items, transactionName));
    }

    public void Abandoned(int count) => CountOutcome("abandoned", count);

    public void ReportAbandoned(IReadOnlyCollection<string> names)
    {
        if (names.Count > 0)
        {
            Safely(static (names, logger) => TaskLog.TasksAbandoned(logger, names.Count, string.Join(", ", names)), names);
        }
    }

    public void Draining(long pending) => Safely(static (pending, logger) => TaskLog.Draining(logger, pending), pending);

    public void LongRunning(string task, TimeSpan threshold) =>
        Safely(static (state, logger) => TaskLog.LongRunningTask(logger, state.task, state.threshold), (task, threshold));

    public void ScopeDisposalHung(string tasks, TimeSpan bound) =>
        Safely(static (state, logger) => TaskLog.ScopeDisposalHung(logger, state.tasks, state.bound), (tasks, bound));

    public void ScopeDisposalFailed(string tasks, Exception exception) =>
        Safely(static (state, logger) => TaskLog.ScopeDisposalFailed(logger, state.tasks, state.exception), (tasks, exception));

    public void Fault(string operation, Exception exception) =>
        Safely(static (state, logger) => Log.AgentFault(logger, state.operation, state.exception), (operation, exception));

    public static string Names(List<TaskItem> items)
    {
        var names = new string[items.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = items[i].Identity.Name;
        }

        return string.Join(", ", names);
    }

    /// <summary>The exception's type and message for display; a message that throws is replaced by a note.</summary>
    public static (string Type, string Message) Describe(Exception exception)
    {
        string type = exception.GetType().FullName ?? exception.GetType().Name;
        try
        {
            // Kept for display (the dashboard's recent failures): a few KB, whatever the exception carries.
            string message = exception.Message ?? string.Empty;
            return (type, message.Length <= MaxMessageLength ? message : message[..MaxMessageLength] + "…");
        }
        catch (Exception)
        {
            return (type, "(the exception's Message threw)");
        }
    }

    private void Safely<TState>(Action<TState, Microsoft.Extensions.Logging.ILogger> log, TState state)
    {
        try
        {
            log(state, application.Logger);
        }
        catch (Exception)
        {
            // The application's logging failed; the task's outcome is already counted.
            Interlocked.Increment(ref _logFailures);
        }
    }

    private void CountOutcome(string outcome, long count)
    {
        if (count > 0 && AfterwardDiagnostics.Tasks.Enabled)
        {
            AfterwardDiagnostics.Tasks.Add(count,
                new KeyValuePair<string, object?>(AfterwardDiagnostics.OutcomeTag, outcome),
                new KeyValuePair<string, object?>(AfterwardDiagnostics.AppTag, application.Name));
        }
    }
}
