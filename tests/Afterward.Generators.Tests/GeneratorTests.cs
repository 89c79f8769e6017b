using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Afterward.Generators.Tests;

/// <summary>The generator through Roslyn's driver: what it generates compiles, runs, and records what users expect.</summary>
public class GeneratorTests
{
    [Fact]
    public async Task BackgroundTaskAttribute_EveryCallShape_IsInterceptedCompiledAndRecorded()
    {
        string app = App();
        var harness = new GeneratorHarness($$"""
            using System;
            using System.Threading.Tasks;
            using Afterward;

            namespace Shop.Jobs;

            public static class Entry
            {
                public static async Task<string> Run()
                {
                    Jobs.Static(1);
                    var jobs = new Jobs();
                    int n = jobs.Instance(2);
                    string echoed = Jobs.Echo<string>("x") + Jobs.Echo(3);
                    int length = "hello".Measure();
                    await Jobs.DelayAsync(60);
                    int answer = await jobs.AnswerAsync();
                    await Jobs.Pulse();
                    int pulse = await Jobs.PulseOf();
                    try { Jobs.Fail(); } catch (InvalidOperationException) { echoed += "|caught"; }
                    try { await Jobs.FailAsync(); } catch (InvalidOperationException) { echoed += "|caught-async"; }
                    return $"{n}|{echoed}|{length}|{answer}|{pulse}";
                }
            }

            public class Jobs
            {
                [BackgroundTask(Name = "static", Group = "Task", Application = "{{app}}")] public static void Static(int x) { }
                [BackgroundTask(Name = "instance", Group = "Task", Application = "{{app}}")] public int Instance(int x) => x * 10;
                [BackgroundTask(Name = "echo", Group = "Task", Application = "{{app}}")] public static T Echo<T>(T value) where T : notnull => value;
                [BackgroundTask(Name = "delay", Group = "Task", Application = "{{app}}")] public static async Task DelayAsync(int ms) => await Task.Delay(ms);
                [BackgroundTask(Name = "answer", Group = "Task", Application = "{{app}}")] public async Task<int> AnswerAsync() { await Task.Yield(); return 42; }
                [BackgroundTask(Name = "pulse", Group = "Task", Application = "{{app}}")] public static ValueTask Pulse() => ValueTask.CompletedTask;
                [BackgroundTask(Name = "pulse-of", Group = "Task", Application = "{{app}}")] public static ValueTask<int> PulseOf() => new(7);
                [BackgroundTask(Name = "fail", Group = "Task", Application = "{{app}}")] public static void Fail() => throw new InvalidOperationException("sync");
                [BackgroundTask(Name = "fail-async", Group = "Task", Application = "{{app}}")] public static async Task FailAsync() { await Task.Yield(); throw new InvalidOperationException("async"); }
            }

            public static class Extensions
            {
                [BackgroundTask(Name = "measure", Group = "Task", Application = "{{app}}")] public static int Measure(this string text) => text.Length;
            }
            """).Run();

        Assert.Empty(harness.GeneratorDiagnostics);
        Assembly assembly = harness.Load();
        string result = await Invoke<string>(assembly, "Shop.Jobs.Entry", "Run");

        Assert.Equal("20|x3|caught|caught-async|5|42|7", result);
        MetricsSnapshot snapshot = Agent.Snapshot(app);
        foreach ((string name, long calls) in (ReadOnlySpan<(string, long)>)[("static", 1), ("instance", 1), ("echo", 2), ("measure", 1), ("delay", 1), ("answer", 1), ("pulse", 1), ("pulse-of", 1), ("fail", 1), ("fail-async", 1)])
        {
            Assert.Equal(calls, snapshot.Get("OtherTransaction/Task/" + name)?.CallCount);
        }

        // Async calls are timed until they complete; exceptions are recorded and rethrown.
        Assert.True(snapshot.Get("OtherTransaction/Task/delay")!.Max >= TimeSpan.FromMilliseconds(55));
        Assert.Equal(1, snapshot.Get("Errors/OtherTransaction/Task/fail")?.CallCount);
        Assert.Equal(1, snapshot.Get("Errors/OtherTransaction/Task/fail-async")?.CallCount);
        Assert.Null(snapshot.Get("Errors/OtherTransaction/Task/delay"));
    }

    [Fact]
    public async Task FunctionTraceAttribute_IsASegmentOfTheEnclosingTransaction_AndNestingFollowsTheContract()
    {
        string app = App();
        var harness = new GeneratorHarness($$"""
            using System.Threading.Tasks;
            using Afterward;

            public static class Entry
            {
                public static async Task<int> Run()
                {
                    await Nightly.RunAsync();
                    return Nightly.Step(1); // outside any transaction: a segment with nothing to belong to is not recorded
                }
            }

            public static class Nightly
            {
                [BackgroundTask(Name = "nightly", Group = "Task", Application = "{{app}}")]
                public static async Task RunAsync()
                {
                    Step(1);
                    await LoadAsync();
                    Inner(); // a background task inside one is a segment of it
                }

                [FunctionTrace(Name = "step")] public static int Step(int x) => x;
                [FunctionTrace(Name = "load", Group = "Io")] private static async Task LoadAsync() => await Task.Delay(20);
                [BackgroundTask(Name = "inner", Group = "Task", Application = "{{app}}")] private static void Inner() { }
            }
            """).Run();

        Assert.Empty(harness.GeneratorDiagnostics);
        await Invoke<int>(harness.Load(), "Entry", "Run");

        MetricsSnapshot snapshot = Agent.Snapshot(app);
        Assert.Equal(1, snapshot.Get("OtherTransaction/Task/nightly")?.CallCount);
        Assert.Equal(1, snapshot.GetScoped("OtherTransaction/Task/nightly", "Function/step")?.CallCount);
        Assert.True(snapshot.GetScoped("OtherTransaction/Task/nightly", "Io/load")!.Max >= TimeSpan.FromMilliseconds(15));
        Assert.Equal(1, snapshot.GetScoped("OtherTransaction/Task/nightly", "Task/inner")?.CallCount);
        Assert.Null(snapshot.Get("OtherTransaction/Task/inner"));
    }

    [Fact]
    public async Task PathItems_InstrumentAReferencedAssemblysMethods_AllOverloadsOrTheOneNamed()
    {
        string app = App();
        (MetadataReference vendor, Assembly vendorAssembly) = CompileVendor();
        using var resolve = ResolveFrom(vendorAssembly);
        var harness = new GeneratorHarness("""
            using Vendor.Reporting;

            public static class Entry
            {
                public static int Run()
                {
                    var engine = new ReportEngine();
                    engine.Render("monthly");
                    engine.Render("weekly", 2);
                    return ReportEngine.Count("a,b,c");
                }
            }
            """,
            $"BackgroundTask|Vendor.Reporting.ReportEngine.Render||Reports|{app}~" +
            $"FunctionTrace|Vendor.Reporting.ReportEngine.Count(System.String)|count||",
            vendor).Run();

        Assert.Empty(harness.GeneratorDiagnostics);
        Assert.Equal(3, await Invoke<int>(harness.Load(), "Entry", "Run"));
        MetricsSnapshot snapshot = Agent.Snapshot(app);
        Assert.Equal(2, snapshot.Get("OtherTransaction/Reports/Vendor.Reporting.ReportEngine.Render")?.CallCount);
        Assert.Contains("ReportEngine.Count", harness.GeneratedSource, StringComparison.Ordinal);
    }

    [Fact]
    public void PathItemsThatMatchNothing_WarnWithTheirOwnIdAndSayWhat()
    {
        (MetadataReference vendor, _) = CompileVendor();
        var harness = new GeneratorHarness("public static class Entry { public static void Run() { } }",
            "BackgroundTask|Vendor.Reporting.NoSuchEngine.Render|||~" +
            "BackgroundTask|Vendor.Reporting.ReportEngine.Print|||~" +
            "FunctionTrace|Vendor.Reporting.ReportEngine.Render(System.Int32)|||~" +
            "BackgroundTask|Render|||~" +
            "BackgroundTask|Vendor.Reporting.ReportEngine.Render(string, int)|||",
            vendor).Run();

        Diagnostic[] warnings = [.. harness.GeneratorDiagnostics.Where(d => d.Id == "AFTW001")];
        Assert.Equal(4, warnings.Length);
        Assert.All(warnings, d => Assert.Equal(DiagnosticSeverity.Warning, d.Severity));
        string[] messages = [.. warnings.Select(d => d.GetMessage())];
        Assert.Contains(messages, m => m.Contains("no type 'Vendor.Reporting.NoSuchEngine'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("has no method 'Print'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("no overload of 'Vendor.Reporting.ReportEngine.Render' has the parameters (System.Int32)", StringComparison.Ordinal)
            && m.Contains("Render(System.String)", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("not of the form Namespace.Type.Method", StringComparison.Ordinal));
    }

    [Fact]
    public void CallsThatCannotBeIntercepted_WarnAtTheCall_AndTheRestStillCompiles()
    {
        var harness = new GeneratorHarness("""
            using Afterward;

            public static class Entry
            {
                public static int Run()
                {
                    int value = 1;
                    Jobs.Bump(ref value);
                    Local();
                    return value;

                    [BackgroundTask] static void Local() { }
                }
            }

            public static class Jobs
            {
                [BackgroundTask] public static void Bump(ref int value) => value++;
            }
            """).Run();

        Diagnostic[] warnings = [.. harness.GeneratorDiagnostics.Where(d => d.Id == "AFTW002").OrderBy(d => d.Location.SourceSpan.Start)];
        Assert.Equal(2, warnings.Length);
        Assert.Contains("ref, out or in parameters", warnings[0].GetMessage(), StringComparison.Ordinal);
        Assert.Equal(8, warnings[0].Location.GetLineSpan().StartLinePosition.Line + 1);
        Assert.Contains("local function", warnings[1].GetMessage(), StringComparison.Ordinal);
        Assert.Empty(harness.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void UnrelatedEdit_LeavesTheInterceptedCallsCached()
    {
        const string source = """
            using Afterward;
            public static class Entry
            {
                public static void Run() { Jobs.Work(); }
            }
            public static class Jobs
            {
                [BackgroundTask(Name = "work")] public static void Work() { }
            }
            """;
        var harness = new GeneratorHarness(source).EditOtherFile("public static class Other { }");
        string first = harness.GeneratedSource;

        harness.EditOtherFile("// an unrelated edit\npublic static class Other { public static int Add(int a, int b) => a + b; }\n");

        GeneratorRunResult run = harness.Driver.GetRunResult().Results.Single();
        IncrementalGeneratorRunStep[] steps = [.. run.TrackedSteps[InstrumentationGenerator.CallSitesStep]];
        Assert.NotEmpty(steps);
        Assert.All(steps.SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        Assert.Equal(first, harness.GeneratedSource);
    }

    [Fact]
    public async Task NamesAgree_InterceptedCall_WrapperAndRuntimeAttributeReading()
    {
        string app = App();
        var harness = new GeneratorHarness($$"""
            using System;
            using Afterward;

            namespace Billing;

            public static class Entry
            {
                public static int Run()
                {
                    Invoices.Send();                                          // intercepted
                    Agent.WrapBackgroundTask(Invoices.Send)();                // wrapper: [BackgroundTask] read at runtime
                    Action unnamed = Invoices.Close;
                    Agent.WrapBackgroundTask(unnamed, Agent.Application("{{app}}"))();
                    Invoices.Close();                                         // intercepted, no Name: the callable name
                    return 0;
                }
            }

            public static class Invoices
            {
                [BackgroundTask(Group = "Billing", Application = "{{app}}")] public static void Send() { }
                [BackgroundTask(Application = "{{app}}")] public static void Close() { }
            }
            """).Run();

        Assert.Empty(harness.GeneratorDiagnostics);
        await Invoke<int>(harness.Load(), "Billing.Entry", "Run");

        MetricsSnapshot snapshot = Agent.Snapshot(app);
        Assert.Equal(2, snapshot.Get("OtherTransaction/Billing/Billing.Invoices.Send")?.CallCount);
        Assert.Equal(2, snapshot.Get("OtherTransaction/Function/Billing.Invoices.Close")?.CallCount);
    }

    private static string App() => "generated-" + Guid.NewGuid().ToString("N");

    private static async Task<T> Invoke<T>(Assembly assembly, string type, string method)
    {
        object? result = assembly.GetType(type, throwOnError: true)!.GetMethod(method)!.Invoke(null, null);
        return result is Task<T> task ? await task : (T)result!;
    }

    private static (MetadataReference Reference, Assembly Assembly) CompileVendor()
    {
        var compilation = CSharpCompilation.Create("Vendor.Reporting",
            [CSharpSyntaxTree.ParseText("""
                namespace Vendor.Reporting;
                public sealed class ReportEngine
                {
                    public string Render(string name) => name.ToUpperInvariant();
                    public string Render(string name, int copies) => name + copies;
                    public static int Count(string csv) => csv.Split(',').Length;
                    public static int Count(string csv, char separator) => csv.Split(separator).Length;
                }
                """)],
            [MetadataReference.CreateFromFile(typeof(object).Assembly.Location), MetadataReference.CreateFromFile(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "System.Runtime.dll"))],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var stream = new MemoryStream();
        Assert.True(compilation.Emit(stream).Success);
        byte[] image = stream.ToArray();
        return (MetadataReference.CreateFromImage(image), LoadedVendor.GetOrAdd(image));
    }

    private static IDisposable ResolveFrom(Assembly assembly)
    {
        ResolveEventHandler handler = (_, args) => new AssemblyName(args.Name).Name == assembly.GetName().Name ? assembly : null;
        AppDomain.CurrentDomain.AssemblyResolve += handler;
        return new Unsubscribe(() => AppDomain.CurrentDomain.AssemblyResolve -= handler);
    }

    private sealed class Unsubscribe(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    /// <summary>The vendor assembly is loaded once per process: its identity does not change between tests.</summary>
    private static class LoadedVendor
    {
        private static Assembly? _assembly;

        public static Assembly GetOrAdd(byte[] image) => LazyInitializer.EnsureInitialized(ref _assembly, () => Assembly.Load(image));
    }
}
