using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;

namespace Afterward.Benchmarks;

/// <summary>
/// One call of a small method run as a background task, three ways, against the same method called plainly: the
/// attribute form (a generated interceptor), the wrapper form (a delegate from Agent.WrapBackgroundTask) and the
/// scope form. Nobody listens to the ActivitySource, so this is the agent's own cost.
/// </summary>
[MemoryDiagnoser]
public class InterceptionBenchmarks
{
    private Func<int, int> _wrapped = null!;

    [GlobalSetup]
    public void Setup()
    {
        Agent.Initialize(o => o.AppName = "bench-interception");
        _wrapped = Agent.WrapBackgroundTask<int, int>(Plain, Agent.Application("bench-interception"), "wrapped", "Task");
    }

    [Benchmark(Baseline = true)]
    public int Direct() => Plain(21);

    [Benchmark]
    public int Intercepted() => Instrumented(21);

    [Benchmark]
    public int Wrapper() => _wrapped(21);

    [Benchmark]
    public int Scope()
    {
        using (Agent.BackgroundTask(Agent.Application("bench-interception"), "scoped", "Task"))
        {
            return Plain(21);
        }
    }

    // Not inlined, so that the baseline measures a real call rather than a folded constant.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Plain(int value) => value * 2;

    [BackgroundTask(Name = "intercepted", Group = "Task", Application = "bench-interception")]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Instrumented(int value) => value * 2;
}
