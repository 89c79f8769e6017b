namespace Afterward;

/// <summary>One failed background task, as shown by the dashboard's <c>recentFailures</c>.</summary>
/// <param name="Task">The task's name.</param>
/// <param name="ExceptionType">The exception's full type name.</param>
/// <param name="Message">The exception's message.</param>
/// <param name="At">When it failed.</param>
public sealed record TaskFailure(string Task, string ExceptionType, string Message, DateTimeOffset At);
