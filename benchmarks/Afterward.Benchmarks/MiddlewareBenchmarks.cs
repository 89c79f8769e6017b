using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
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
    private readonly Endpoint _endpoint = new RouteEndpointBuilder(static _ => Task.CompletedTask, RoutePatternFactory.Parse("/plain"), 0).Build();

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

    /// <summary>As minimal hosting runs it: routing already matched a route endpoint (named by route).</summary>
    [Benchmark]
    public Task Routed_Bare() => _bare(Routed());

    [Benchmark]
    public Task Routed_UseAfterward() => _afterward(Routed());

    private DefaultHttpContext Routed()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.SetEndpoint(_endpoint);
        return context;
    }

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
