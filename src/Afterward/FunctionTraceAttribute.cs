namespace Afterward;

/// <summary>
/// Marks a method whose calls are recorded as segments (function traces) of the current transaction, as
/// <see cref="Agent.FunctionTrace"/> does.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class FunctionTraceAttribute : Attribute
{
    /// <summary>The segment name. Default: the method's readable name.</summary>
    public string? Name { get; set; }

    /// <summary>The group. Default <c>Function</c>.</summary>
    public string? Group { get; set; }
}
