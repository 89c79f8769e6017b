using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;

namespace Afterward.Benchmarks;

/// <summary>
/// What <c>BackgroundTasks.AddTask</c> costs the handler that calls it: a transaction that accepts tasks, with one
/// task of one argument added and then taken (as the middleware takes them when the response completes), against
/// the same transaction with none. The difference is the cost of one task, its list included. Target (issue 14):
/// ≤ 128 B per task. Running the task is not measured here (the HTTP harness measures the whole path).
/// </summary>
[MemoryDiagnoser]
public class AddTaskBenchmarks
{
    private static readonly Action<int> NoOp = static _ => { };
    private Application _application = null!;
    private BackgroundTasks _tasks = null!;

    [GlobalSetup]
    public void Setup()
    {
        _application = Agent.Initialize(o => o.AppName = "bench-addtask");
        _tasks = new BackgroundTasks(new ServiceCollection().BuildServiceProvider());
    }

    [Benchmark(Baseline = true)]
    public int AcceptingTasks_NoneAdded()
    {
        using TransactionScope scope = Agent.BackgroundTask(_application, "handler", "Task");
        scope.Transaction!.AcceptTasks();
        return scope.Transaction.TakeTasks()?.Count ?? 0;
    }

    [Benchmark]
    public int AddTask_OneArgument()
    {
        using TransactionScope scope = Agent.BackgroundTask(_application, "handler", "Task");
        scope.Transaction!.AcceptTasks();
        _tasks.AddTask(NoOp, 42);
        return scope.Transaction.TakeTasks()!.Count;
    }

    [Benchmark]
    public int AddTask_ThreeTasks()
    {
        using TransactionScope scope = Agent.BackgroundTask(_application, "handler", "Task");
        scope.Transaction!.AcceptTasks();
        _tasks.AddTask(NoOp, 1);
        _tasks.AddTask(NoOp, 2);
        _tasks.AddTask(NoOp, 3);
        return scope.Transaction.TakeTasks()!.Count;
    }
}
