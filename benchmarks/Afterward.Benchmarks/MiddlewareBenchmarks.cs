using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Afterward.Benchmarks;

/// <summary>
/// The web transaction's own cost per request, in process: a pipeline with <c>UseAfterward()</c> in front of a
/// handler that does nothing, against the same pipeline without it, each request a fresh
/// <see cref="DefaultHttpContext"/>. Nobody listens to the ActivitySource. This is the CPU the middleware adds;
/// the out-of-process harness (benchmarks/http-overhead.sh) measures what a server loses with it.
/// </summary>
[MemoryDiagnoser]
public class MiddlewareBenchmarks
{
    private RequestDelegate _bare = null!;
    private RequestDelegate _afterward = null!;
    private ServiceProvider _services = null!;

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAfterward(o => o.AppName = "bench-middleware");
        _services = services.BuildServiceProvider();
        _bare = Pipeline(afterward: false);
        _afterward = Pipeline(afterward: true);
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true)]
    public Task Bare() => _bare(new DefaultHttpContext());

    [Benchmark]
    public Task UseAfterward() => _afterward(new DefaultHttpContext());

    private RequestDelegate Pipeline(bool afterward)
    {
        var app = new ApplicationBuilder(_services);
        if (afterward)
        {
            app.UseAfterward();
        }

        app.Run(static context =>
        {
            context.Response.StatusCode = 200;
            return Task.CompletedTask;
        });
        return app.Build();
    }
}
