using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Afterward.Generators;

/// <summary>Turns an invocation into a <see cref="CallCandidate"/>: its method's path and, if it can be intercepted, the interceptor's shape.</summary>
internal static class CallCandidates
{
    private const string BackgroundTaskAttribute = "Afterward.BackgroundTaskAttribute";
    private const string FunctionTraceAttribute = "Afterward.FunctionTraceAttribute";

    private static readonly SymbolDisplayFormat Qualified = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers
            | SymbolDisplayMiscellaneousOptions.UseSpecialTypes
            | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private static readonly SymbolDisplayFormat MetadataStyle = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters);

    private static readonly SymbolDisplayFormat KeywordStyle = MetadataStyle.WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

    public static CallCandidate? From(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken)
    {
        if (model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol called)
        {
            return null;
        }

        bool reducedExtension = called.ReducedFrom is not null;
        IMethodSymbol method = called.ReducedFrom ?? called;
        if (method.MethodKind is not (MethodKind.Ordinary or MethodKind.LocalFunction))
        {
            return null;
        }

        IMethodSymbol definition = method.OriginalDefinition;
        var location = model.GetInterceptableLocation(invocation, cancellationToken);
        if (location is null)
        {
            return null;
        }

        Instrumentation? attribute = AttributeOf(definition);
        InterceptorShape? shape = null;
        string? unsupported = Unsupported(definition, invocation, model.Compilation);
        if (unsupported is null)
        {
            shape = Shape(definition, reducedExtension, model.Compilation);
            unsupported = shape is null ? "its return or parameter types cannot be named from generated code" : null;
        }

        return new CallCandidate(
            PathOf(definition),
            SignatureOf(definition, keywords: false),
            SignatureOf(definition, keywords: true),
            CallableName(definition),
            attribute,
            shape,
            unsupported,
            location.Version,
            location.Data,
            LocationInfo.From(invocation.GetLocation()));
    }

    /// <summary><c>Namespace.Type.Method</c>, nested types joined by dots.</summary>
    public static string PathOf(IMethodSymbol method) => method.ContainingType.ToDisplayString(MetadataStyle).Split('<')[0] + "." + method.Name;

    /// <summary><c>(System.String, System.Int32)</c>, or with keywords <c>(string, int)</c>.</summary>
    public static string SignatureOf(IMethodSymbol method, bool keywords) =>
        "(" + string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString(keywords ? KeywordStyle : MetadataStyle))) + ")";

    /// <summary>The readable name the runtime gives the same method (Agent.CallableName): namespace, types and method, generic arity dropped.</summary>
    public static string CallableName(IMethodSymbol method)
    {
        var parts = new List<string> { method.Name };
        for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            parts.Insert(0, type.Name);
        }

        string ns = method.ContainingNamespace is { IsGlobalNamespace: false } containing ? containing.ToDisplayString() + "." : string.Empty;
        return ns + string.Join(".", parts);
    }

    private static Instrumentation? AttributeOf(IMethodSymbol method)
    {
        Instrumentation? trace = null;
        foreach (AttributeData attribute in method.GetAttributes())
        {
            string? name = attribute.AttributeClass?.ToDisplayString();
            if (name != BackgroundTaskAttribute && name != FunctionTraceAttribute)
            {
                continue;
            }

            string? Named(string key) => attribute.NamedArguments.FirstOrDefault(a => a.Key == key).Value.Value as string;
            if (name == BackgroundTaskAttribute)
            {
                // [BackgroundTask] wins over [FunctionTrace] on the same method: a call is one or the other.
                return new Instrumentation(InstrumentationKind.BackgroundTask, Named("Name"), Named("Group"), Named("Application"));
            }

            trace = new Instrumentation(InstrumentationKind.FunctionTrace, Named("Name"), Named("Group"), null);
        }

        return trace;
    }

    /// <summary>Why a call of this method cannot be intercepted, or null.</summary>
    private static string? Unsupported(IMethodSymbol method, InvocationExpressionSyntax invocation, Compilation compilation)
    {
        if (method.MethodKind == MethodKind.LocalFunction)
        {
            return "it is a local function, which interceptors cannot replace (make it a method)";
        }

        if (method.Parameters.Any(p => p.RefKind != RefKind.None))
        {
            return "it has ref, out or in parameters, which the interceptor's closure cannot capture";
        }

        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            return "it returns by reference";
        }

        for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.IsGenericType)
            {
                return "it is declared in a generic type";
            }
        }

        if (!method.IsStatic && method.ContainingType.IsValueType)
        {
            return "it is an instance method of a struct";
        }

        if (invocation.Expression is MemberAccessExpressionSyntax { Expression: BaseExpressionSyntax })
        {
            return "it is called through base";
        }

        if (method.Parameters.Any(p => p.Type.IsRefLikeType) || method.ReturnType.IsRefLikeType)
        {
            return "it takes or returns a ref struct";
        }

        if (!Accessible(method.ContainingType, compilation))
        {
            return "its type is not accessible outside itself";
        }

        if (!Accessible(method, compilation) && method.IsGenericMethod)
        {
            return "it is a private or protected generic method";
        }

        return null;
    }

    private static InterceptorShape? Shape(IMethodSymbol method, bool reducedExtension, Compilation compilation)
    {
        if (!Accessible(method.ReturnType, compilation) || method.Parameters.Any(p => !Accessible(p.Type, compilation)))
        {
            return null;
        }

        string containing = method.ContainingType.ToDisplayString(Qualified);
        bool instance = !method.IsStatic;
        bool accessible = Accessible(method, compilation);
        var parameters = new List<string>();
        var arguments = new List<string>();
        if (instance)
        {
            parameters.Add($"this {containing} @this");
        }

        foreach (IParameterSymbol parameter in method.Parameters)
        {
            string name = "p_" + parameter.Name;
            string prefix = parameter.Ordinal == 0 && method.IsExtensionMethod && reducedExtension ? "this " : string.Empty;
            parameters.Add(prefix + parameter.Type.ToDisplayString(Qualified) + " " + name);
            arguments.Add(name);
        }

        string typeParameters = method.IsGenericMethod ? "<" + string.Join(", ", method.TypeParameters.Select(t => t.Name)) + ">" : string.Empty;
        string constraints = Constraints(method);
        string returnType = method.ReturnsVoid ? "void" : method.ReturnType.ToDisplayString(Qualified);
        string? accessor = null;
        string call;
        if (accessible)
        {
            string target = instance ? "@this." + Escape(method.Name) : containing + "." + Escape(method.Name);
            call = $"{target}{typeParameters}({string.Join(", ", arguments)})";
        }
        else
        {
            // Private or protected: reach it through an UnsafeAccessor (.NET 8+), which the runtime binds by name.
            // A static class cannot be a parameter type: name it for the runtime instead (.NET 10 UnsafeAccessorType).
            string first = instance ? $"{containing} target"
                : method.ContainingType.IsStatic ? $"[global::System.Runtime.CompilerServices.UnsafeAccessorType({Quote(MetadataName(method.ContainingType))})] object? target"
                : $"{containing}? target";
            string accessorParameters = string.Join(", ", new[] { first }.Concat(method.Parameters.Select(p => p.Type.ToDisplayString(Qualified) + " p_" + p.Name)));
            string kind = instance ? "Method" : "StaticMethod";
            accessor = $"[global::System.Runtime.CompilerServices.UnsafeAccessor(global::System.Runtime.CompilerServices.UnsafeAccessorKind.{kind}, Name = \"{method.Name}\")] " +
                       $"private static extern {returnType} {{ACCESSOR}}({accessorParameters});";
            call = $"{{ACCESSOR}}({string.Join(", ", new[] { instance ? "@this" : "null" }.Concat(arguments))})";
        }

        string runner = Runner(method.ReturnType, method.ReturnsVoid);
        string key = $"{PathOf(method)}{SignatureOf(method, keywords: false)}|{(instance ? "i" : reducedExtension ? "x" : "s")}";
        return new InterceptorShape(key, typeParameters, constraints, string.Join(", ", parameters), returnType, call, runner, accessor);
    }

    private static string Runner(ITypeSymbol returnType, bool returnsVoid)
    {
        if (returnsVoid)
        {
            return "Run";
        }

        string name = returnType.OriginalDefinition.ToDisplayString();
        return name switch
        {
            "System.Threading.Tasks.Task" or "System.Threading.Tasks.Task<TResult>" => "RunTask",
            "System.Threading.Tasks.ValueTask" or "System.Threading.Tasks.ValueTask<TResult>" => "RunValueTask",
            _ => "Run",
        };
    }

    private static string Constraints(IMethodSymbol method)
    {
        var builder = new StringBuilder();
        foreach (ITypeParameterSymbol parameter in method.TypeParameters)
        {
            var clauses = new List<string>();
            if (parameter.HasReferenceTypeConstraint)
            {
                clauses.Add("class");
            }

            if (parameter.HasUnmanagedTypeConstraint)
            {
                clauses.Add("unmanaged");
            }
            else if (parameter.HasValueTypeConstraint)
            {
                clauses.Add("struct");
            }

            if (parameter.HasNotNullConstraint)
            {
                clauses.Add("notnull");
            }

            clauses.AddRange(parameter.ConstraintTypes.Select(t => t.ToDisplayString(Qualified)));
            if (parameter.HasConstructorConstraint)
            {
                clauses.Add("new()");
            }

            if (clauses.Count > 0)
            {
                builder.Append(" where ").Append(parameter.Name).Append(" : ").Append(string.Join(", ", clauses));
            }
        }

        return builder.ToString();
    }

    /// <summary>Whether generated code in this assembly can name the symbol (public or internal all the way out).</summary>
    private static bool Accessible(ISymbol symbol, Compilation compilation) => symbol switch
    {
        ITypeParameterSymbol => true,
        IArrayTypeSymbol array => Accessible(array.ElementType, compilation),
        INamedTypeSymbol { IsGenericType: true } generic when !generic.IsFileLocal =>
            compilation.IsSymbolAccessibleWithin(generic.OriginalDefinition, compilation.Assembly) && generic.TypeArguments.All(t => Accessible(t, compilation)),
        INamedTypeSymbol { IsFileLocal: true } => false,
        _ => compilation.IsSymbolAccessibleWithin(symbol, compilation.Assembly),
    };

    /// <summary><c>Namespace.Outer+Inner, Assembly</c>.</summary>
    private static string MetadataName(INamedTypeSymbol type)
    {
        string name = type.MetadataName;
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            name = outer.MetadataName + "+" + name;
        }

        string ns = type.ContainingNamespace is { IsGlobalNamespace: false } containing ? containing.ToDisplayString() + "." : string.Empty;
        return ns + name + ", " + type.ContainingAssembly.Name;
    }

    private static string Quote(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

    private static string Escape(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
