using System.Diagnostics;
using System.Net;
using Afterward;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Afterward.Soak;

/// <summary>Memory at one point of a soak run: after a full, compacting collection, so it is what is live.</summary>
public readonly record struct MemorySample(string When, TimeSpan At, long WorkingSetBytes, long GcHeapBytes);

/// <summary>What a soak run observed.</summary>
public sealed record SoakResult(
    TimeSpan Duration,
    int Connections,
    long Requests,
    long Errors,
    long TasksScheduled,
    long TasksCompleted,
    long TasksFailed,
    long TasksAbandoned,
    double P50Microseconds,
    double P99Microseconds,
    IReadOnlyList<MemorySample> Memory)
{
    public double RequestsPerSecond => Requests / Duration.TotalSeconds;
}

/// <summary>
/// Kestrel on 127.0.0.1 with Afterward; closed-loop clients on loopback as fast as the server answers (the highest
/// sustainable rate), every request scheduling 1–3 small tasks. Counts what was scheduled against what the runner
/// completed after the drain, and samples memory at start, middle and end. Shared by the load harness (minutes)
/// and the test suite (seconds).
/// </summary>
public static class SoakRun
{
    public static async Task<SoakResult> RunAsync(TimeSpan duration, int connections, Action<string>? progress = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        string appName = "soak-" + Guid.NewGuid().ToString("N");
        builder.Services.AddAfterward(o => o.AppName = appName);
        WebApplication app = builder.Build();
        app.UseAfterward();
        app.MapGet("/order/{count:int}", (int count, BackgroundTasks tasks) =>
        {
            for (int i = 0; i < count; i++)
            {
                tasks.AddTask(static (int n) =>
                {
                    // A little real work: format and hash, so tasks allocate like application code does.
                    string text = $"order line {n} at {DateTime.UtcNow:O}";
                    return Task.FromResult(text.GetHashCode(StringComparison.Ordinal));
                }, i);
            }

            return count;
        });
        await app.StartAsync();
        try
        {
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            Application application = app.Services.GetRequiredService<Application>();
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections };
            using var client = new HttpClient(handler) { BaseAddress = address };

            // Warm up (its tasks count too: every task scheduled must complete), then take the baseline.
            var counters = new Counters();
            await DriveAsync(client, TimeSpan.FromSeconds(1), connections, counters, record: false);
            long warmupRequests = counters.Requests;
            var memory = new List<MemorySample>();
            var clock = Stopwatch.StartNew();
            memory.Add(Sample("start", clock.Elapsed));
            progress?.Invoke($"start: {Describe(memory[^1])}");

            TimeSpan half = duration / 2;
            await DriveAsync(client, half, connections, counters, record: true);
            memory.Add(Sample("middle", clock.Elapsed));
            progress?.Invoke($"middle: {Describe(memory[^1])}, {counters.Requests} requests");
            await DriveAsync(client, duration - half, connections, counters, record: true);

            // Drain: stopping the host waits for every queued task.
            await app.StopAsync();
            memory.Add(Sample("end", clock.Elapsed));
            progress?.Invoke($"end: {Describe(memory[^1])}, {counters.Requests} requests");

            BackgroundTaskCounters tasks = application.TaskCounters;
            return new SoakResult(
                duration,
                connections,
                counters.Requests - warmupRequests,
                counters.Errors,
                counters.TasksScheduled,
                tasks.Completed,
                tasks.Failed,
                tasks.Abandoned,
                counters.Percentile(0.50),
                counters.Percentile(0.99),
                memory);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private static MemorySample Sample(string when, TimeSpan at)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        return new MemorySample(when, at, process.WorkingSet64, GC.GetTotalMemory(forceFullCollection: false));
    }

    private static string Describe(MemorySample sample) =>
        $"working set {sample.WorkingSetBytes / 1048576.0:F1} MiB, GC heap {sample.GcHeapBytes / 1048576.0:F1} MiB";

    private static async Task DriveAsync(HttpClient client, TimeSpan length, int connections, Counters counters, bool record)
    {
        using var stop = new CancellationTokenSource(length);
        CancellationToken token = stop.Token;
        await Task.WhenAll(Enumerable.Range(0, connections).Select(seed => Task.Run(async () =>
        {
            var random = new Random(seed);
            long[]? local = record ? new long[Counters.Buckets + 1] : null;
            long requests = 0, errors = 0, scheduled = 0;
            while (!token.IsCancellationRequested)
            {
                int count = 1 + random.Next(3);
                long start = Stopwatch.GetTimestamp();
                try
                {
                    using HttpResponseMessage response = await client.GetAsync($"/order/{count}", CancellationToken.None).ConfigureAwait(false);
                    await response.Content.ReadAsByteArrayAsync(CancellationToken.None).ConfigureAwait(false);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        scheduled += count;
                    }
                    else
                    {
                        errors++;
                    }
                }
                catch (HttpRequestException)
                {
                    errors++;
                }

                requests++;
                if (local is not null)
                {
                    local[Counters.Bucket(Stopwatch.GetElapsedTime(start))]++;
                }
            }

            counters.Add(requests, errors, scheduled, local);
        }, CancellationToken.None))).ConfigureAwait(false);
    }

    /// <summary>
    /// Totals and a latency histogram of fixed size (10 µs buckets up to 1 s): recording millions of requests must
    /// not itself grow the heap that the run is watching.
    /// </summary>
    private sealed class Counters
    {
        public const int Buckets = 100_000;
        private const double BucketMicroseconds = 10;

        private readonly long[] _histogram = new long[Buckets + 1];

        public long Requests { get; private set; }

        public long Errors { get; private set; }

        public long TasksScheduled { get; private set; }

        public static int Bucket(TimeSpan latency) => (int)Math.Min(Buckets, latency.TotalMicroseconds / BucketMicroseconds);

        public void Add(long requests, long errors, long scheduled, long[]? latencies)
        {
            lock (_histogram)
            {
                Requests += requests;
                Errors += errors;
                TasksScheduled += scheduled;
                if (latencies is not null)
                {
                    for (int i = 0; i < latencies.Length; i++)
                    {
                        _histogram[i] += latencies[i];
                    }
                }
            }
        }

        /// <summary>The upper edge of the bucket holding the <paramref name="p"/> quantile, in microseconds.</summary>
        public double Percentile(double p)
        {
            lock (_histogram)
            {
                long total = _histogram.Sum();
                long rank = (long)Math.Ceiling(total * p);
                long seen = 0;
                for (int i = 0; i < _histogram.Length; i++)
                {
                    seen += _histogram[i];
                    if (seen >= rank && seen > 0)
                    {
                        return (i + 1) * BucketMicroseconds;
                    }
                }

                return 0;
            }
        }
    }
}
