using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Afterward.Generators;

/// <summary>
/// Intercepts every call, in the project being compiled, to a method marked <c>[BackgroundTask]</c> or
/// <c>[FunctionTrace]</c>, or named by an <c>AfterwardBackgroundTask</c> / <c>AfterwardFunctionTrace</c> MSBuild item
/// (which may name methods of referenced assemblies), so that it runs as a background task or a segment.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class InstrumentationGenerator : IIncrementalGenerator
{
    /// <summary>The pipeline step that yields the intercepted calls (named for incrementality tests).</summary>
    public const string CallSitesStep = "AfterwardCallSites";

    internal static readonly DiagnosticDescriptor PathMatchesNothing = new(
        "AFTW001",
        "An Afterward instrumentation item matches no method",
        "{0} Include=\"{1}\" matches no method: {2}",
        "Afterward",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Check the namespace, type and method names (nested types joined by dots) and, for one overload, the parameter list.");

    internal static readonly DiagnosticDescriptor CannotIntercept = new(
        "AFTW002",
        "A call of an instrumented method cannot be intercepted",
        "This call of {0} is not instrumented because {1}; wrap it in Agent.{2}(...) instead",
        "Afterward",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValueProvider<EquatableArray<PathRule>> rules = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => PathRule.Parse(options.GlobalOptions.TryGetValue(PathRule.Property, out string? value) ? value : null));

        // Only calls whose method name some instrumented method has reach the semantic model: a project has
        // hundreds of thousands of calls and a handful of instrumented names (as ASP.NET Core's request-delegate
        // generator looks for MapGet and friends before binding anything).
        IncrementalValueProvider<EquatableArray<string>> names = InstrumentedNames.Collect(context, rules);
        // Trees are compared by reference, so an edit re-reads the edited file only; a file whose text names no
        // instrumented method is never walked.
        IncrementalValuesProvider<CallCandidate> candidates = context.CompilationProvider
            .SelectMany(static (compilation, _) => compilation.SyntaxTrees)
            .Combine(names)
            .SelectMany(static (pair, ct) => InstrumentedNames.Matching(pair.Left, pair.Right, ct))
            .Combine(context.CompilationProvider)
            .Select(static (pair, ct) => CallCandidates.From(pair.Left, pair.Right.GetSemanticModel(pair.Left.SyntaxTree), ct))
            .Where(static c => c is not null)!;

        IncrementalValuesProvider<(CallCandidate Call, Instrumentation Instrumentation)> instrumented = candidates
            .Combine(rules)
            .Select(static (pair, _) => (Call: pair.Left, Instrumentation: Decide(pair.Left, pair.Right)!))
            .Where(static pair => pair.Instrumentation is not null)
            .WithTrackingName(CallSitesStep);

        context.RegisterSourceOutput(instrumented.Where(static p => p.Call.Shape is null), static (spc, p) =>
            spc.ReportDiagnostic(Diagnostic.Create(CannotIntercept, p.Call.Location.ToLocation(), p.Call.Path, p.Call.Unsupported,
                p.Instrumentation.Kind == InstrumentationKind.BackgroundTask ? "BackgroundTask" : "FunctionTrace")));

        context.RegisterSourceOutput(instrumented.Where(static p => p.Call.Shape is not null).Collect(), static (spc, sites) =>
        {
            if (!sites.IsEmpty)
            {
                spc.AddSource("Afterward.Interceptors.g.cs", Emit(sites));
            }
        });

        context.RegisterSourceOutput(rules.Combine(context.CompilationProvider), static (spc, pair) =>
        {
            foreach (PathRule rule in pair.Left)
            {
                if (rule.WhyUnmatched(pair.Right) is { } why)
                {
                    string item = rule.Kind == InstrumentationKind.BackgroundTask ? "AfterwardBackgroundTask" : "AfterwardFunctionTrace";
                    spc.ReportDiagnostic(Diagnostic.Create(PathMatchesNothing, Location.None, item, rule.Original, why));
                }
            }
        });
    }

    /// <summary>The attribute wins over a path item (it is next to the code); the first matching item otherwise.</summary>
    private static Instrumentation? Decide(CallCandidate call, EquatableArray<PathRule> rules)
    {
        if (call.Attribute is { } attribute)
        {
            return attribute;
        }

        foreach (PathRule rule in rules)
        {
            if (rule.Matches(call))
            {
                return rule.Instrumentation;
            }
        }

        return null;
    }

    internal static string Emit(ImmutableArray<(CallCandidate Call, Instrumentation Instrumentation)> sites)
    {
        var source = new StringBuilder();
        source.AppendLine("// <auto-generated>Afterward.Generators: intercepted calls of instrumented methods.</auto-generated>");
        source.AppendLine("#nullable enable");
        source.AppendLine("#pragma warning disable");
        source.AppendLine();
        source.AppendLine("namespace System.Runtime.CompilerServices");
        source.AppendLine("{");
        source.AppendLine("    [global::System.AttributeUsage(global::System.AttributeTargets.Method, AllowMultiple = true)]");
        source.AppendLine("    file sealed class InterceptsLocationAttribute : global::System.Attribute");
        source.AppendLine("    {");
        source.AppendLine("        public InterceptsLocationAttribute(int version, string data) { }");
        source.AppendLine("    }");
        source.AppendLine("}");
        source.AppendLine();
        source.AppendLine("namespace Afterward.Generated");
        source.AppendLine("{");
        source.AppendLine("    file static class AfterwardInterceptors");
        source.AppendLine("    {");

        int index = 0;
        foreach (var group in sites
            .GroupBy(s => (s.Call.Shape!.Key, s.Instrumentation, s.Call.CallableName))
            .OrderBy(g => g.Key.Key, System.StringComparer.Ordinal))
        {
            CallCandidate first = group.First().Call;
            InterceptorShape shape = first.Shape!;
            Instrumentation instrumentation = group.Key.Instrumentation;
            string field = "Method" + index;
            string name = instrumentation.Name ?? first.CallableName;
            string factory = instrumentation.Kind == InstrumentationKind.BackgroundTask
                ? $"global::Afterward.Instrumentation.InterceptedMethod.BackgroundTask({Literal(name)}, {Literal(instrumentation.Group)}, {Literal(instrumentation.Application)})"
                : $"global::Afterward.Instrumentation.InterceptedMethod.FunctionTrace({Literal(name)}, {Literal(instrumentation.Group)})";
            source.AppendLine($"        // {first.Path}{first.Signature}: {instrumentation.Kind} \"{name.Replace("\n", " ")}\"");
            source.AppendLine($"        private static readonly global::Afterward.Instrumentation.InterceptedMethod {field} = {factory};");
            string accessorName = "Call" + index;
            if (shape.Accessor is { } accessor)
            {
                source.AppendLine("        " + accessor.Replace("{ACCESSOR}", accessorName));
            }

            foreach (var site in group.OrderBy(s => s.Call.LocationData, System.StringComparer.Ordinal))
            {
                source.AppendLine($"        [global::System.Runtime.CompilerServices.InterceptsLocation({site.Call.LocationVersion}, {Literal(site.Call.LocationData)})] // {Path(site.Call.Location)}");
            }

            string call = shape.Call.Replace("{ACCESSOR}", accessorName);
            string result = shape.ReturnType == "void" ? string.Empty : "return ";
            source.AppendLine($"        public static {shape.ReturnType} Intercept{index}{shape.TypeParameters}({shape.Parameters}){shape.Constraints}");
            source.AppendLine("        {");
            if (shape.Runner == "Run")
            {
                // Synchronous: the call is made inline between Begin and Dispose, with no delegate or closure per call.
                source.AppendLine($"            var __afterwardCall = {field}.Begin();");
                source.AppendLine("            try");
                source.AppendLine("            {");
                source.AppendLine($"                {result}{call};");
                source.AppendLine("            }");
                source.AppendLine("            catch (global::System.Exception __afterwardException)");
                source.AppendLine("            {");
                source.AppendLine("                __afterwardCall.Fail(__afterwardException);");
                source.AppendLine("                throw;");
                source.AppendLine("            }");
                source.AppendLine("            finally");
                source.AppendLine("            {");
                source.AppendLine("                __afterwardCall.Dispose();");
                source.AppendLine("            }");
            }
            else
            {
                // Asynchronous: timed until the returned task completes, inside the runner's async method.
                source.AppendLine($"            {result}{field}.{shape.Runner}(() => {call});");
            }

            source.AppendLine("        }");
            source.AppendLine();
            index++;
        }

        source.AppendLine("    }");
        source.AppendLine("}");
        return source.ToString();
    }

    private static string Path(LocationInfo location) =>
        $"{System.IO.Path.GetFileName(location.FilePath)}({location.Lines.Start.Line + 1},{location.Lines.Start.Character + 1})";

    private static string Literal(string? value) =>
        value is null ? "null" : Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(value, quote: true);
}
