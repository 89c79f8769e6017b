using System.Collections.Concurrent;
using System.Reflection;

namespace Afterward.Transactions;

/// <summary>
/// The name, group and application a delegate runs under as a background task: explicit values first, then the
/// method's <see cref="BackgroundTaskAttribute"/>, then its readable name. Resolved once per wrap or AddTask.
/// </summary>
internal sealed record TaskIdentity(Application? Application, string Name, string? Group)
{
    private static readonly ConcurrentDictionary<MethodInfo, BackgroundTaskAttribute?> Attributes = new();

    public static TaskIdentity Resolve(Delegate task, Application? application, string? name, string? group)
    {
        ArgumentNullException.ThrowIfNull(task);
        BackgroundTaskAttribute? attribute = AttributeOf(task.Method);
        if (application is null && attribute?.Application is { Length: > 0 } applicationName)
        {
            application = Agent.Application(applicationName);
        }

        return new TaskIdentity(
            application,
            name ?? attribute?.Name ?? CallableNames.Of(task.Method),
            group ?? attribute?.Group);
    }

    /// <summary>The method's <see cref="BackgroundTaskAttribute"/>, cached.</summary>
    public static BackgroundTaskAttribute? AttributeOf(MethodInfo method) =>
        Attributes.GetOrAdd(method, static m => m.GetCustomAttribute<BackgroundTaskAttribute>());

    public TransactionScope Begin() => Agent.BeginBackgroundTask(Application, Name, Group);
}
