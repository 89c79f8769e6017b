using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// BenchmarkDotNet 0.14 predates .NET 10's moniker, so benchmarks run in process (still isolated per benchmark
// by BenchmarkDotNet's own warm-up, pilot and GC settings).
IConfig config = DefaultConfig.Instance
    .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance))
    .WithOptions(ConfigOptions.JoinSummary);
BenchmarkSwitcher.FromAssembly(typeof(Afterward.Benchmarks.TransactionBenchmarks).Assembly).Run(args, config);
