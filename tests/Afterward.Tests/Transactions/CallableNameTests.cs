namespace Afterward.Tests;

public class CallableNameTests
{
    [Fact]
    public void CallableName_StaticMethod_IsNamespaceTypeMethod() =>
        Assert.Equal("Afterward.Tests.Jobs.Add", Agent.CallableName(Jobs.Add));

    [Fact]
    public void CallableName_InstanceMethodOfNestedGenericType_DropsArity()
    {
        var instance = new Outer.Inner<int>();

        Assert.Equal("Afterward.Tests.Outer.Inner.Run", Agent.CallableName(instance.Run));
        Assert.Equal("Afterward.Tests.Outer.Inner.Generic", Agent.CallableName(Outer.Inner<string>.Generic<int>));
    }

    [Fact]
    public void CallableName_Lambda_IsEnclosingMethodDotLambda()
    {
        int captured = 1;
        Func<int> capturing = () => captured;
        Action plain = () => { };

        Assert.Equal("Afterward.Tests.CallableNameTests.CallableName_Lambda_IsEnclosingMethodDotLambda.<lambda>", Agent.CallableName(capturing));
        Assert.Equal("Afterward.Tests.CallableNameTests.CallableName_Lambda_IsEnclosingMethodDotLambda.<lambda>", Agent.CallableName(plain));
    }

    [Fact]
    public void CallableName_LocalFunction_IsEnclosingMethodDotName()
    {
        int captured = 2;
        int Capturing() => captured;
        static void Helper()
        {
        }

        Assert.Equal("Afterward.Tests.CallableNameTests.CallableName_LocalFunction_IsEnclosingMethodDotName.Helper", Agent.CallableName(Helper));
        Assert.Equal("Afterward.Tests.CallableNameTests.CallableName_LocalFunction_IsEnclosingMethodDotName.Capturing", Agent.CallableName(Capturing));
    }

    [Fact]
    public void CallableName_AsyncMethod_IsTheMethodNotTheStateMachine()
    {
        Assert.Equal("Afterward.Tests.Outer.RunAsync", Agent.CallableName(Outer.RunAsync));
        Assert.Equal("Afterward.Tests.Outer.RunAsync", Transactions.CallableNames.Of(Outer.StateMachineMoveNext()));
    }

    [Fact]
    public void CallableName_TopLevelStatements_IsProgramDotName()
    {
        // A real program compiled from top-level statements (tests/TopLevelProgram): type Program, method <Main>$.
        Type program = typeof(TopLevelProgramMarker).Assembly.GetType("Program", throwOnError: true)!;
        const System.Reflection.BindingFlags all = System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public
            | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Instance;
        System.Reflection.MethodInfo localFunction = program.GetMethods(all).Single(m => m.Name.Contains("g__SendEmail", StringComparison.Ordinal));
        System.Reflection.MethodInfo lambda = program.GetNestedTypes(all).SelectMany(t => t.GetMethods(all))
            .Single(m => m.Name.Contains(">b__", StringComparison.Ordinal));

        Assert.Equal("Program.SendEmail", Transactions.CallableNames.Of(localFunction));
        Assert.Equal("Program.<lambda>", Transactions.CallableNames.Of(lambda));
    }
}

public static class Outer
{
    public static async Task RunAsync() => await Task.Yield();

    public static System.Reflection.MethodInfo StateMachineMoveNext()
    {
        Type stateMachine = typeof(Outer).GetNestedTypes(System.Reflection.BindingFlags.NonPublic)
            .Single(t => t.Name.StartsWith("<RunAsync>d__", StringComparison.Ordinal));
        return stateMachine.GetMethod("MoveNext", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)!;
    }

    public sealed class Inner<T>
    {
        public void Run()
        {
        }

        public static void Generic<TItem>()
        {
        }
    }
}
