using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Afterward.Generators;

/// <summary>
/// The method names worth binding: those of methods marked <c>[BackgroundTask]</c> / <c>[FunctionTrace]</c> in this
/// project (found through the compiler's attribute index) or in a referenced assembly built against Afterward, and
/// the last part of every path item.
/// </summary>
internal static class InstrumentedNames
{
    private const string BackgroundTaskAttribute = "Afterward.BackgroundTaskAttribute";
    private const string FunctionTraceAttribute = "Afterward.FunctionTraceAttribute";

    public static IncrementalValueProvider<EquatableArray<string>> Collect(IncrementalGeneratorInitializationContext context, IncrementalValueProvider<EquatableArray<PathRule>> rules)
    {
        IncrementalValueProvider<ImmutableArray<string>> backgroundTasks = Attributed(context, BackgroundTaskAttribute);
        IncrementalValueProvider<ImmutableArray<string>> functionTraces = Attributed(context, FunctionTraceAttribute);
        IncrementalValueProvider<EquatableArray<string>> referenced = context.CompilationProvider.Select(static (compilation, _) => Referenced(compilation));
        return backgroundTasks.Combine(functionTraces).Combine(referenced).Combine(rules).Select(static (all, _) =>
        {
            var names = new SortedSet<string>(System.StringComparer.Ordinal);
            names.UnionWith(all.Left.Left.Left);
            names.UnionWith(all.Left.Left.Right);
            names.UnionWith(all.Left.Right);
            foreach (PathRule rule in all.Right)
            {
                names.Add(rule.Path.Substring(rule.Path.LastIndexOf('.') + 1));
            }

            return new EquatableArray<string>(names);
        });
    }

    /// <summary>
    /// The invocations of a file whose simple name an instrumented method has. The file's text is searched first:
    /// most files never mention any such name and are not walked at all.
    /// </summary>
    public static ImmutableArray<InvocationExpressionSyntax> Matching(SyntaxTree tree, EquatableArray<string> names, System.Threading.CancellationToken cancellationToken)
    {
        if (names.Length == 0)
        {
            return ImmutableArray<InvocationExpressionSyntax>.Empty;
        }

        string text = tree.GetText(cancellationToken).ToString();
        var present = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (string name in names)
        {
            if (text.IndexOf(name, System.StringComparison.Ordinal) >= 0)
            {
                present.Add(name);
            }
        }

        if (present.Count == 0)
        {
            return ImmutableArray<InvocationExpressionSyntax>.Empty;
        }

        var matching = ImmutableArray.CreateBuilder<InvocationExpressionSyntax>();
        foreach (SyntaxNode node in tree.GetRoot(cancellationToken).DescendantNodes())
        {
            if (node is InvocationExpressionSyntax invocation && Invoked(invocation) is { } name && present.Contains(name))
            {
                matching.Add(invocation);
            }
        }

        return matching.ToImmutable();
    }

    /// <summary>The simple name an invocation calls: <c>M()</c>, <c>x.M()</c>, <c>M&lt;T&gt;()</c>, <c>x?.M()</c>; null for a delegate expression.</summary>
    public static string? Invoked(InvocationExpressionSyntax invocation) => invocation.Expression switch
    {
        SimpleNameSyntax name => name.Identifier.ValueText,
        MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
        MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
        _ => null,
    };

    private static IncrementalValueProvider<ImmutableArray<string>> Attributed(IncrementalGeneratorInitializationContext context, string attribute) =>
        context.SyntaxProvider
            .ForAttributeWithMetadataName(attribute,
                static (node, _) => node is MethodDeclarationSyntax or LocalFunctionStatementSyntax,
                static (ctx, _) => ctx.TargetSymbol.Name)
            .Collect();

    /// <summary>Instrumented methods of referenced assemblies; only an assembly that references Afterward can have any.</summary>
    private static EquatableArray<string> Referenced(Compilation compilation)
    {
        var names = new SortedSet<string>(System.StringComparer.Ordinal);
        foreach (IAssemblySymbol assembly in compilation.SourceModule.ReferencedAssemblySymbols)
        {
            // The framework's assemblies cannot reference Afterward; skipping them by name avoids decoding their references.
            string name = assembly.Identity.Name;
            if (name.StartsWith("System", System.StringComparison.Ordinal) || name.StartsWith("Microsoft.", System.StringComparison.Ordinal)
                || name is "netstandard" or "mscorlib" or "Afterward" or "Polly.Core")
            {
                continue;
            }

            if (assembly.Modules.Any(static m => m.ReferencedAssemblies.Any(static r => r.Name == "Afterward")))
            {
                AddAttributed(assembly.GlobalNamespace, names);
            }
        }

        return new EquatableArray<string>(names);
    }

    private static void AddAttributed(INamespaceOrTypeSymbol container, SortedSet<string> names)
    {
        foreach (ISymbol member in container.GetMembers())
        {
            switch (member)
            {
                case INamespaceOrTypeSymbol nested:
                    AddAttributed(nested, names);
                    break;
                case IMethodSymbol method when method.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() is BackgroundTaskAttribute or FunctionTraceAttribute):
                    names.Add(method.Name);
                    break;
            }
        }
    }
}
