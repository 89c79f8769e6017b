using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Afterward.Generators;

/// <summary>
/// One <c>&lt;AfterwardBackgroundTask Include="Namespace.Type.Method" /&gt;</c> or <c>AfterwardFunctionTrace</c>
/// item. <c>Include</c> may end with a parameter list, <c>Namespace.Type.Method(System.String, int)</c>, to pick one
/// overload; without it every overload matches.
/// </summary>
internal sealed record PathRule(InstrumentationKind Kind, string Original, string Path, string? Signature, string? Name, string? Group, string? Application)
{
    /// <summary>
    /// The MSBuild property the targets file fills: rules separated by <c>~</c>, fields by <c>|</c>. (Not <c>;</c>:
    /// the compiler's .editorconfig reader ends a value at a semicolon, taken for a comment.)
    /// </summary>
    public const string Property = "build_property.AfterwardInstrumentation";

    public Instrumentation Instrumentation => new(Kind, Name, Group, Application);

    public static EquatableArray<PathRule> Parse(string? value)
    {
        var rules = new List<PathRule>();
        foreach (string entry in (value ?? string.Empty).Split('~'))
        {
            string[] fields = entry.Split('|');
            if (fields.Length < 2 || fields[1].Trim().Length == 0)
            {
                continue;
            }

            InstrumentationKind kind = fields[0].Trim() == "FunctionTrace" ? InstrumentationKind.FunctionTrace : InstrumentationKind.BackgroundTask;
            string original = fields[1].Trim();
            string path = original;
            string? signature = null;
            int open = original.IndexOf('(');
            if (open > 0)
            {
                path = original.Substring(0, open).Trim();
                signature = NormalizeSignature(original.Substring(open));
            }

            rules.Add(new PathRule(kind, original, path, signature, Field(fields, 2), Field(fields, 3), Field(fields, 4)));
        }

        return new EquatableArray<PathRule>(rules);
    }

    public bool Matches(CallCandidate call) =>
        call.Path == Path && (Signature is null || Signature == NormalizeSignature(call.Signature) || Signature == NormalizeSignature(call.KeywordSignature));

    /// <summary><c>( System.String , int )</c> → <c>(System.String,int)</c>.</summary>
    public static string NormalizeSignature(string signature) => new string(signature.Where(c => !char.IsWhiteSpace(c)).ToArray());

    /// <summary>Why the rule matches no method of the compilation or its references, or null when it matches one.</summary>
    public string? WhyUnmatched(Compilation compilation)
    {
        int dot = Path.LastIndexOf('.');
        if (dot <= 0 || dot == Path.Length - 1)
        {
            return $"'{Original}' is not of the form Namespace.Type.Method";
        }

        string typeName = Path.Substring(0, dot);
        string methodName = Path.Substring(dot + 1);
        INamedTypeSymbol? type = FindType(compilation, typeName);
        if (type is null)
        {
            return $"no type '{typeName}' was found in the project or its references";
        }

        ImmutableArray<IMethodSymbol> methods = [.. type.GetMembers(methodName).OfType<IMethodSymbol>()];
        if (methods.Length == 0)
        {
            return $"type '{typeName}' has no method '{methodName}'";
        }

        if (Signature is not null && !methods.Any(m => Signature == NormalizeSignature(CallCandidates.SignatureOf(m, keywords: false))
            || Signature == NormalizeSignature(CallCandidates.SignatureOf(m, keywords: true))))
        {
            string overloads = string.Join(", ", methods.Select(m => methodName + CallCandidates.SignatureOf(m, keywords: false)));
            return $"no overload of '{typeName}.{methodName}' has the parameters {Signature}; it has {overloads}";
        }

        return null;
    }

    /// <summary>Resolves <c>A.B.C</c> as a namespace type or, from the right, as nested types (<c>A.B+C</c>).</summary>
    private static INamedTypeSymbol? FindType(Compilation compilation, string name)
    {
        string candidate = name;
        while (true)
        {
            if (compilation.GetTypeByMetadataName(candidate) is { } type)
            {
                return type;
            }

            int dot = candidate.LastIndexOf('.');
            if (dot <= 0)
            {
                return null;
            }

            candidate = candidate.Substring(0, dot) + "+" + candidate.Substring(dot + 1);
        }
    }

    private static string? Field(string[] fields, int index) =>
        fields.Length > index && fields[index].Trim().Length > 0 ? fields[index].Trim() : null;
}
