using System.Diagnostics;
using System.Net;
using Afterward.AspNetCore.Tests.Otlp;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Afterward.AspNetCore.Tests;

/// <summary>
/// A collector that is down, slow, answering 503 or 400: requests and tasks go on unaffected, the span queue stays
/// within its bound, losses are counted and logged once per outage, and export resumes when the collector does.
/// </summary>
[Collection(nameof(ActivityCollection))]
public class ExportFaultTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(CollectorMode.Unavailable503, "HTTP 503")]
    [InlineData(CollectorMode.BadRequest400, "HTTP 400")]
    public async Task CollectorRefuses_RequestsAndTasksSucceed_LossesCountedLoggedOnceThenRecovered(CollectorMode mode, string reason)
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        receiver.Mode = mode;
        await using var fixture = await Fixture.StartAsync(o => o.Otlp.Endpoint = receiver.HttpEndpoint);

        Measured run = await fixture.RunAsync(requests: 30);
        await receiver.WaitForRequestsAsync(3, Wait);

        Assert.Equal(30, run.Succeeded);
        await fixture.WaitForTasksAsync(30);
        OtlpExportStatus status = fixture.Host.Application.Export;
        Assert.True(status.Enabled);
        Assert.True(status.SpansDropped > 0, "spans refused by the collector are counted as dropped");
        Assert.True(status.SpanExportsFailed > 0);
        Assert.Contains(reason, status.LastError);
        (_, string failing) = await fixture.WaitForLogAsync(1102, "of spans");
        Assert.Contains(reason, failing);

        // The collector comes back: the next spans arrive, and the recovery is logged with what was lost.
        receiver.Mode = CollectorMode.Accept;
        string marker = await fixture.RequestMarkedAsync();
        await receiver.WaitForSpansAsync(spans => spans.Any(s => Equals(s["http.route"], "/marked/{id}") && Equals(s["url.path"], "/marked/" + marker)), Wait);
        (_, string recovered) = await fixture.WaitForLogAsync(1103, "of spans");
        Assert.Matches(@"recovered; [1-9]\d* lost", recovered);
        Assert.Single(fixture.Logged(1102), e => e.Message.Contains("of spans", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CollectorDown_ConnectionRefusedReported_ExportResumesWhenItReturns()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        await receiver.StopAsync();
        await using var fixture = await Fixture.StartAsync(o => o.Otlp.Endpoint = receiver.HttpEndpoint);

        Measured run = await fixture.RunAsync(requests: 20);
        Assert.Equal(20, run.Succeeded);
        await fixture.WaitForTasksAsync(20);
        (_, string failing) = await fixture.WaitForLogAsync(1102, "of spans");
        Assert.Contains("refused", failing, StringComparison.OrdinalIgnoreCase);

        await receiver.RestartAsync();
        string marker = await fixture.RequestMarkedAsync();
        await receiver.WaitForSpansAsync(spans => spans.Any(s => Equals(s["url.path"], "/marked/" + marker)), Wait);
        await fixture.WaitForLogAsync(1103, "of spans");
        Assert.True(fixture.Host.Application.Export.SpansDropped > 0);
    }

    [Fact]
    public async Task CollectorSlow_RequestsDoNotWait_QueueWithinItsBoundOverflowCounted()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        receiver.Mode = CollectorMode.Slow;
        receiver.SlowDelay = TimeSpan.FromSeconds(10);
        const int capacity = 16;
        await using var fixture = await Fixture.StartAsync(o =>
        {
            o.Otlp.Endpoint = receiver.HttpEndpoint;
            o.Otlp.Timeout = TimeSpan.FromSeconds(2);
            o.Otlp.MaxQueueSize = capacity;
        });

        // Each request makes two spans (request and task); the exporter is stuck on the slow collector meanwhile.
        var queueDepths = new List<long>();
        Measured run = await fixture.RunAsync(requests: 60, afterEach: () => queueDepths.Add(fixture.Host.Application.Export.SpansQueued));
        await fixture.WaitForTasksAsync(60);

        Assert.Equal(60, run.Succeeded);
        // A request that waited on the collector would take at least its delay (10 s) or the export time-out (2 s).
        Assert.True(run.Slowest < TimeSpan.FromSeconds(2), $"slowest request {run.Slowest}");
        Assert.All(queueDepths, depth => Assert.InRange(depth, 0, capacity));
        Assert.True(fixture.Host.Application.Export.SpansDropped > 0);
        await fixture.WaitForLogAsync(1104, "queue is full");
        Assert.Single(fixture.Logged(1104));
    }

    [Fact]
    public async Task Grpc_ExportsSpansAndMetrics()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        await using var fixture = await Fixture.StartAsync(o =>
        {
            o.Otlp.Endpoint = receiver.GrpcEndpoint;
            o.Otlp.Protocol = OtlpProtocol.Grpc;
            o.Otlp.ExportInterval = TimeSpan.FromSeconds(1);
            o.Otlp.Headers["x-api-key"] = "secret";
        });

        string marker = await fixture.RequestMarkedAsync();
        IReadOnlyList<ReceivedSpan> spans = await receiver.WaitForSpansAsync(
            all => all.Any(s => Equals(s["url.path"], "/marked/" + marker)) && all.Any(s => s.Kind == ReceivedSpan.KindConsumer), Wait);
        Assert.Contains(spans, s => s.Service == fixture.Host.AppName && s.Kind == ReceivedSpan.KindServer);
        await receiver.WaitForMetricsAsync(all => all.Any(m => m.Name == "afterward.transaction.duration" && m.Service == fixture.Host.AppName), Wait);
        Assert.Equal(0, fixture.Host.Application.Export.SpansDropped);
    }

    [Fact]
    public async Task ApplicationWithItsOwnProviders_AfterwardDoesNotExportTwice()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        await using var fixture = await Fixture.StartAsync(o => o.Otlp.Endpoint = receiver.HttpEndpoint, services =>
        {
            services.AddSingleton(_ => Sdk.CreateTracerProviderBuilder().AddSource("Afterward").Build());
            services.AddSingleton(_ => Sdk.CreateMeterProviderBuilder().AddMeter("Afterward").Build());
        });

        await fixture.RequestMarkedAsync();
        await fixture.Host.StopAsync();

        Assert.False(fixture.Host.Application.Export.Enabled);
        Assert.Equal(2, fixture.Logged(1107).Count);
        Assert.Equal(0, receiver.Requests);
    }

    [Fact]
    public async Task TwoHosts_EachExportsItsOwnSpansOnce()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        await using var first = await Fixture.StartAsync(o => o.Otlp.Endpoint = receiver.HttpEndpoint);
        await using var second = await Fixture.StartAsync(o => o.Otlp.Endpoint = receiver.HttpEndpoint);

        await first.RunAsync(3);
        await second.RunAsync(2);
        await first.WaitForTasksAsync(3);
        await second.WaitForTasksAsync(2);

        // Each request is a server span and its task a consumer span, under the host's own service.name, exactly once
        // (the in-process receiver's own requests are spans too: count the two hosts' transactions only).
        int Of(IReadOnlyList<ReceivedSpan> spans, TestHost host) =>
            spans.Count(s => s.Service == host.AppName && s.Attributes.ContainsKey("afterward.app"));
        IReadOnlyList<ReceivedSpan> spans = await receiver.WaitForSpansAsync(s => Of(s, first.Host) >= 6 && Of(s, second.Host) >= 4, Wait);
        Assert.Equal(6, Of(spans, first.Host));
        Assert.Equal(4, Of(spans, second.Host));
        Assert.True(first.Host.Application.Export.Enabled);
        Assert.True(second.Host.Application.Export.Enabled);

        // The Meter is process-wide: the first host exports it, the second says so instead of sending it twice.
        Assert.NotNull(first.Host.Application.Export.MetricsEndpoint);
        Assert.Null(second.Host.Application.Export.MetricsEndpoint);
        Assert.Contains(first.Host.AppName, Assert.Single(second.Logged(1108)).Message);
    }

    private sealed record Measured(int Succeeded, TimeSpan Slowest);

    /// <summary>A web app whose requests each schedule one background task, exporting as configured.</summary>
    private sealed class Fixture : IAsyncDisposable
    {
        private int _tasksDone;
        private TaskCompletionSource _taskDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TestHost Host { get; private set; } = null!;

        public static async Task<Fixture> StartAsync(Action<AfterwardOptions> configure, Action<IServiceCollection>? services = null)
        {
            var fixture = new Fixture();
            fixture.Host = await TestHost.StartAsync(app =>
            {
                app.MapGet("/work", (BackgroundTasks tasks) => tasks.AddTask(fixture.TaskDone));
                app.MapGet("/marked/{id}", (string id, BackgroundTasks tasks) => tasks.AddTask(fixture.TaskDone));
            }, configure, services, configuration: new Dictionary<string, string?>
            {
                ["OTEL_BSP_SCHEDULE_DELAY"] = "50",
                ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
            });
            return fixture;
        }

        public async Task<Measured> RunAsync(int requests, Action? afterEach = null)
        {
            int succeeded = 0;
            TimeSpan slowest = TimeSpan.Zero;
            for (int i = 0; i < requests; i++)
            {
                long start = Stopwatch.GetTimestamp();
                using HttpResponseMessage response = await Host.Client.GetAsync("/work");
                TimeSpan took = Stopwatch.GetElapsedTime(start);
                slowest = took > slowest ? took : slowest;
                succeeded += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
                afterEach?.Invoke();
            }

            return new Measured(succeeded, slowest);
        }

        public async Task<string> RequestMarkedAsync()
        {
            string marker = Guid.NewGuid().ToString("N");
            using HttpResponseMessage response = await Host.Client.GetAsync("/marked/" + marker);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return marker;
        }

        public async Task WaitForTasksAsync(int count)
        {
            using var deadline = new CancellationTokenSource(Wait);
            while (true)
            {
                Task next;
                lock (this)
                {
                    if (_tasksDone >= count)
                    {
                        return;
                    }

                    next = _taskDone.Task;
                }

                await next.WaitAsync(deadline.Token);
            }
        }

        public IReadOnlyList<(Microsoft.Extensions.Logging.LogLevel Level, int EventId, string Message)> Logged(int eventId) =>
            [.. Host.Logs.Entries.Where(e => e.EventId == eventId)];

        /// <summary>Waits for a log entry (they are written by the export thread).</summary>
        public async Task<(int, string)> WaitForLogAsync(int eventId, string contains)
        {
            var entry = await Host.Logs.WaitForAsync(e => e.EventId == eventId && e.Message.Contains(contains, StringComparison.Ordinal), Wait);
            return (entry.EventId, entry.Message);
        }

        public ValueTask DisposeAsync() => Host.DisposeAsync();

        private void TaskDone()
        {
            TaskCompletionSource done;
            lock (this)
            {
                _tasksDone++;
                done = _taskDone;
                _taskDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            done.TrySetResult();
        }
    }
}
