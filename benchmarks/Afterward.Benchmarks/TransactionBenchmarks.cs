using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace Afterward.Benchmarks;

/// <summary>
/// The agent's cost per transaction (start, name, end, aggregate) and per segment, against a bare Activity
/// start/stop with a listener as the baseline, all in one run. Targets (PRODUCT.md §3): ≤ 250 ns and 0 B with
/// nobody listening; ≤ 700 ns with a listener sampling everything.
/// </summary>
[MemoryDiagnoser]
public class TransactionBenchmarks
{
    private static readonly ActivitySource Baseline = new("Baseline");
    private Application _application = null!;
    private ActivityListener? _listener;

    [GlobalSetup(Targets = [nameof(BareActivity_WithListener)])]
    public void SetupBaseline()
    {
        Setup();
        _listener = Listen("Baseline");
    }

    [GlobalSetup(Targets = [nameof(Transaction_WithListener), nameof(FunctionTrace_WithListener)])]
    public void SetupListening()
    {
        Setup();
        _listener = Listen("Afterward");
    }

    [GlobalSetup(Targets = [nameof(Transaction_NoListener), nameof(FunctionTrace_NoListener), nameof(FunctionTrace_OutsideTransaction)])]
    public void Setup() => _application = Agent.Initialize(o => o.AppName = "bench");

    /// <summary>As <see cref="Setup"/>, in an application whose running transactions a mapped dashboard lists.</summary>
    [GlobalSetup(Targets = [nameof(Transaction_NoListener_DashboardMapped)])]
    public void SetupInFlight()
    {
        _application = Agent.Initialize(o => o.AppName = "bench-inflight");
        _application.InFlightSet.Track();
    }

    [GlobalCleanup]
    public void Cleanup() => _listener?.Dispose();

    [Benchmark(Baseline = true)]
    public void BareActivity_WithListener() => Baseline.StartActivity("bare")?.Stop();

    [Benchmark]
    public void Transaction_NoListener()
    {
        using TransactionScope scope = Agent.BackgroundTask(_application, "job", "Task");
    }

    /// <summary>What mapping the dashboard adds to every transaction: its in-flight list's insert and removal.</summary>
    [Benchmark]
    public void Transaction_NoListener_DashboardMapped()
    {
        using TransactionScope scope = Agent.BackgroundTask(_application, "job", "Task");
    }

    [Benchmark]
    public void Transaction_WithListener()
    {
        using TransactionScope scope = Agent.BackgroundTask(_application, "job", "Task");
    }

    [Benchmark]
    public void FunctionTrace_NoListener()
    {
        using TransactionScope scope = Agent.BackgroundTask(_application, "job", "Task");
        using SegmentScope segment = Agent.FunctionTrace("step");
    }

    /// <summary>
    /// A segment where nothing is recorded: code with <c>[FunctionTrace]</c> (or <c>Agent.FunctionTrace</c>) called
    /// outside any transaction, a library's helper say, gets the shared no-op segment.
    /// </summary>
    [Benchmark]
    public void FunctionTrace_OutsideTransaction()
    {
        using SegmentScope segment = Agent.FunctionTrace("step");
    }

    [Benchmark]
    public void FunctionTrace_WithListener()
    {
        using TransactionScope scope = Agent.BackgroundTask(_application, "job", "Task");
        using SegmentScope segment = Agent.FunctionTrace("step");
    }

    private static ActivityListener Listen(string source)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
