namespace Afterward;

/// <summary>
/// Marks a method as a background task. Calls to it compiled in a project that references Afterward run as a
/// background transaction (nesting as <see cref="Agent.BackgroundTask"/>); on a minimal API handler or MVC action it
/// makes the endpoint's transactions non-web; passed to <c>BackgroundTasks.AddTask</c> or
/// <see cref="Agent.WrapBackgroundTask(Action, Application?, string?, string?)"/> it names the task.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class BackgroundTaskAttribute : Attribute
{
    /// <summary>The transaction name. Default: the method's readable name, <c>Namespace.Type.Method</c>.</summary>
    public string? Name { get; set; }

    /// <summary>The group. Default <c>Function</c>.</summary>
    public string? Group { get; set; }

    /// <summary>The application to report under. Default: the default application.</summary>
    public string? Application { get; set; }
}
