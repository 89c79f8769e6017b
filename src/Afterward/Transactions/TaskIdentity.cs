using System.Collections.Concurrent;
using System.Reflection;

namespace Afterward.Transactions;

/// <summary>
/// The name, group and application a delegate runs under as a background task: explicit values first, then the
/// method's <see cref="BackgroundTaskAttribute"/>, then its readable name. Resolved once per wrap or AddTask,
/// and cached per method when nothing explicit is given.
/// </summary>
internal sealed record TaskIdentity(Application? Application, string Name, string? Group)
{
    private static readonly ConcurrentDictionary<MethodInfo, BackgroundTaskAttribute?> Attributes = new();

    /// <summary>Identities of methods named by their attribute or their readable name alone (the usual AddTask), by method.</summary>
    private static readonly ConcurrentDictionary<MethodInfo, TaskIdentity> Defaults = new();

    /// <summary>Bounds <see cref="Defaults"/>: methods made at run time (compiled expressions) could otherwise grow it for ever.</summary>
    private const int MaxDefaults = 4096;

    public static TaskIdentity Resolve(Delegate task, Application? application, string? name, string? group)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (application is null && name is null && group is null)
        {
            MethodInfo method = task.Method;
            if (Defaults.TryGetValue(method, out TaskIdentity? known))
            {
                return known;
            }

            TaskIdentity resolved = Create(method, null, null, null);
            if (resolved.Application is null && Defaults.Count < MaxDefaults)
            {
                // One with an application is not kept: the attribute names it, and each host has its own.
                Defaults.TryAdd(method, resolved);
            }

            return resolved;
        }

        return Create(task.Method, application, name, group);
    }

    private static TaskIdentity Create(MethodInfo method, Application? application, string? name, string? group)
    {
        BackgroundTaskAttribute? attribute = AttributeOf(method);
        if (application is null && attribute?.Application is { Length: > 0 } applicationName)
        {
            application = Agent.Application(applicationName);
        }

        return new TaskIdentity(
            application,
            name ?? attribute?.Name ?? CallableNames.Of(method),
            group ?? attribute?.Group);
    }

    /// <summary>The method's <see cref="BackgroundTaskAttribute"/>, cached.</summary>
    public static BackgroundTaskAttribute? AttributeOf(MethodInfo method) =>
        Attributes.GetOrAdd(method, static m => m.GetCustomAttribute<BackgroundTaskAttribute>());

    public TransactionScope Begin() => Agent.BeginBackgroundTask(Application, Name, Group);
}
