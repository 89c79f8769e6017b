using System.Collections.Concurrent;
using System.Reflection;
using System.Text;

namespace Afterward.Transactions;

/// <summary>
/// Readable names of methods, as a C# reader writes them: <c>Namespace.Type.Method</c>, nested types joined with
/// <c>.</c>, generic arity removed, and compiler-generated names (lambdas, local functions, top-level statements,
/// async and iterator state machines, closure classes) turned back into the source's names.
/// </summary>
internal static class CallableNames
{
    private const string TopLevelMain = "<Main>$";
    private static readonly ConcurrentDictionary<MethodBase, string> Cache = new();

    public static string Of(MethodBase method) => Cache.GetOrAdd(method, Compute);

    private static string Compute(MethodBase method)
    {
        Type? type = method.DeclaringType;
        string methodName = method.Name;

        // An async or iterator state machine: <Outer>d__3.MoveNext → Outer.
        if (type is not null && type.Name.StartsWith('<') && TrySplit(type.Name, out string outer, out char kind, out _) && kind == 'd')
        {
            methodName = outer;
            type = type.DeclaringType;
        }

        // Closure classes (<>c, <>c__DisplayClass0_0) belong to the type that declares them.
        while (type is not null && type.Name.StartsWith('<'))
        {
            type = type.DeclaringType;
        }

        string typeName = type is null ? string.Empty : TypeName(type);
        string member = MemberName(methodName);
        return typeName.Length == 0 ? member : member.Length == 0 ? typeName : typeName + "." + member;
    }

    /// <summary>Turns a compiler-generated member name back into the source's: <c>&lt;Run&gt;g__Helper|0_0</c> → <c>Run.Helper</c>.</summary>
    private static string MemberName(string name)
    {
        if (name == TopLevelMain)
        {
            return "Main";
        }

        if (name == ".ctor" || name == ".cctor")
        {
            return name[1..];
        }

        if (!name.StartsWith('<') || !TrySplit(name, out string outer, out char kind, out string rest))
        {
            return name;
        }

        string container = outer == TopLevelMain ? string.Empty : MemberName(outer);
        string local = kind switch
        {
            'b' => "<lambda>",
            'g' => rest.Split('|')[0],
            _ => string.Empty,
        };
        if (local.Length == 0)
        {
            return container;
        }

        return container.Length == 0 ? local : container + "." + local;
    }

    /// <summary>Splits <c>&lt;outer&gt;k__rest</c> into its parts, honouring nested angle brackets in outer.</summary>
    private static bool TrySplit(string name, out string outer, out char kind, out string rest)
    {
        int depth = 0;
        for (int i = 0; i < name.Length; i++)
        {
            if (name[i] == '<')
            {
                depth++;
            }
            else if (name[i] == '>' && --depth == 0)
            {
                outer = name[1..i];
                kind = i + 1 < name.Length ? name[i + 1] : '\0';
                int restStart = name.IndexOf("__", i, StringComparison.Ordinal);
                rest = restStart < 0 ? string.Empty : name[(restStart + 2)..];
                return true;
            }
        }

        outer = rest = string.Empty;
        kind = '\0';
        return false;
    }

    private static string TypeName(Type type)
    {
        var builder = new StringBuilder();
        AppendType(builder, type);
        return builder.ToString();
    }

    private static void AppendType(StringBuilder builder, Type type)
    {
        if (type.DeclaringType is { } declaring)
        {
            AppendType(builder, declaring);
            builder.Append('.');
        }
        else if (!string.IsNullOrEmpty(type.Namespace))
        {
            builder.Append(type.Namespace).Append('.');
        }

        string name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        builder.Append(tick < 0 ? name : name.AsSpan(0, tick));
    }
}
