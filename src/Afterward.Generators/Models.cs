using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Afterward.Generators;

/// <summary>How a call is instrumented.</summary>
internal enum InstrumentationKind
{
    BackgroundTask,
    FunctionTrace,
}

/// <summary>What a method's attribute or a path item asks for.</summary>
internal sealed record Instrumentation(InstrumentationKind Kind, string? Name, string? Group, string? Application);

/// <summary>A source location kept as plain values (Location objects do not cache).</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan Lines)
{
    public static LocationInfo From(Location location) =>
        new(location.SourceTree?.FilePath ?? string.Empty, location.SourceSpan, location.GetLineSpan().Span);

    public Location ToLocation() => Location.Create(FilePath, Span, Lines);
}

/// <summary>
/// One call of a method, reduced to strings: what is needed to decide whether it is instrumented (its path,
/// parameter signature, attribute) and to write the interceptor. Equatable, so unchanged calls are cached.
/// </summary>
internal sealed record CallCandidate(
    string Path,
    string Signature,
    string KeywordSignature,
    string CallableName,
    Instrumentation? Attribute,
    InterceptorShape? Shape,
    string? Unsupported,
    int LocationVersion,
    string LocationData,
    LocationInfo Location);

/// <summary>The interceptor's signature and call, everything fully qualified.</summary>
/// <param name="Key">Identifies the interceptor: calls with the same key share one.</param>
/// <param name="TypeParameters">The method's type parameters, e.g. <c>&lt;T&gt;</c>, or empty.</param>
/// <param name="Constraints">Their constraints clauses.</param>
/// <param name="Parameters">The interceptor's parameter list (with <c>this</c> for instance and extension calls).</param>
/// <param name="ReturnType">Its return type, or <c>void</c>.</param>
/// <param name="Call">The expression that calls the original method.</param>
/// <param name="Runner">The InterceptedMethod member that runs it (<c>Run</c>, <c>RunTask</c>, …).</param>
/// <param name="Accessor">An UnsafeAccessor declaration for a method the generated code cannot name, or null.</param>
internal sealed record InterceptorShape(
    string Key,
    string TypeParameters,
    string Constraints,
    string Parameters,
    string ReturnType,
    string Call,
    string Runner,
    string? Accessor);
