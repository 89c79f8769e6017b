using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Afterward.Generators;

/// <summary>A file's invocations by the simple name they call, found without the semantic model (one entry per file).</summary>
internal sealed class FileCalls(ImmutableArray<(string Name, InvocationExpressionSyntax Invocation)> calls)
{
    public ImmutableArray<(string Name, InvocationExpressionSyntax Invocation)> Calls { get; } = calls;
}

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

    /// <summary>Every invocation of a file with the simple name it calls.</summary>
    public static FileCalls CallsIn(CompilationUnitSyntax unit, System.Threading.CancellationToken cancellationToken)
    {
        var calls = ImmutableArray.CreateBuilder<(string, InvocationExpressionSyntax)>();
        foreach (SyntaxNode node in unit.DescendantNodes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (node is InvocationExpressionSyntax invocation && Invoked(invocation) is { } name)
            {
                calls.Add((name, invocation));
            }
        }

        return new FileCalls(calls.ToImmutable());
    }

    /// <summary>The invocations of a file whose name an instrumented method has.</summary>
    public static ImmutableArray<InvocationExpressionSyntax> Matching(FileCalls file, EquatableArray<string> names)
    {
        if (names.Length == 0)
        {
            return ImmutableArray<InvocationExpressionSyntax>.Empty;
        }

        var set = new HashSet<string>(names, System.StringComparer.Ordinal);
        var matching = ImmutableArray.CreateBuilder<InvocationExpressionSyntax>();
        foreach ((string name, InvocationExpressionSyntax invocation) in file.Calls)
        {
            if (set.Contains(name))
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
