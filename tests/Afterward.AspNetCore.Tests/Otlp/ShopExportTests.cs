using System.Net;
using Afterward.AspNetCore.Tests.Otlp;

namespace Afterward.AspNetCore.Tests;

/// <summary>
/// The Shop sample, unchanged, exporting to a real OTLP/HTTP receiver configured only through the standard
/// <c>OTEL_*</c> variables; stopped with SIGTERM, which must flush what it recorded.
/// </summary>
[Collection(nameof(ActivityCollection))]
public class ShopExportTests
{
    [Fact]
    public async Task ShopFlows_ThroughStandardVariables_ExportLinkedSpansAndMetrics()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        await using ShopProcess shop = await ShopProcess.StartAsync(new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.HttpEndpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_HEADERS"] = "api-key=test-key",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
        });

        Assert.Equal(HttpStatusCode.OK, (await shop.Client.PostAsync("/send?email=ada@example.com", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await shop.Client.PostAsync("/action?user_id=7&action=login", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await shop.Client.GetAsync("/reports/42")).StatusCode);

        // While it runs: spans arrive within the schedule delay, without waiting for shutdown.
        await receiver.WaitForSpansAsync(spans => spans.Any(s => s["afterward.transaction.name"] is "OtherTransaction/Function/Program.SendEmail"),
            TimeSpan.FromSeconds(30));

        Assert.Equal(0, await shop.StopAsync(ShopProcess.SIGTERM, TimeSpan.FromSeconds(30)));
        IReadOnlyList<ReceivedSpan> spans = receiver.Spans;
        IReadOnlyList<ReceivedMetric> metrics = receiver.Metrics;

        // Every span names the service after the application.
        Assert.All(spans, s => Assert.Equal("Shop", s.Service));

        // The request: ASP.NET Core's server span, enriched rather than duplicated.
        ReceivedSpan send = Assert.Single(spans, s => s.Kind == ReceivedSpan.KindServer && s["afterward.transaction.name"] is "WebTransaction/Route/POST /send");
        Assert.Equal("web", send["afterward.transaction.kind"]);
        Assert.Equal("Microsoft.AspNetCore", send.Scope);
        Assert.Equal("", send.ParentSpanId);
        Assert.Equal("POST /send", send.Name);
        Assert.Equal("POST", send["http.request.method"]);
        Assert.Equal("/send", send["http.route"]);
        Assert.Equal(200L, send["http.response.status_code"]);

        // The task: a root of its own trace (Consumer, the non-web entry kind), linked to the request's span.
        ReceivedSpan email = Assert.Single(spans, s => s["afterward.transaction.name"] is "OtherTransaction/Function/Program.SendEmail");
        Assert.Equal(ReceivedSpan.KindConsumer, email.Kind);
        Assert.Equal("background", email["afterward.transaction.kind"]);
        Assert.Equal("Afterward", email.Scope);
        Assert.Equal("", email.ParentSpanId);
        Assert.NotEqual(send.TraceId, email.TraceId);
        Assert.Equal((send.TraceId, send.SpanId), Assert.Single(email.Links));
        Assert.IsType<double>(email["afterward.task.queue_wait_ms"]);

        // Three tasks from /action, in their own traces, each linked to the same request.
        ReceivedSpan action = Assert.Single(spans, s => s.Kind == ReceivedSpan.KindServer && s["afterward.transaction.name"] is "WebTransaction/Route/POST /action");
        List<ReceivedSpan> actionTasks = [.. spans.Where(s => s.Links.Contains((action.TraceId, action.SpanId)))];
        Assert.Equal(3, actionTasks.Count);
        Assert.All(actionTasks, t => Assert.Equal(ReceivedSpan.KindConsumer, t.Kind));

        // A reclassified request keeps its server span (it is an HTTP request) but reports the background kind.
        ReceivedSpan report = Assert.Single(spans, s => s.Kind == ReceivedSpan.KindServer && Equals(s["afterward.transaction.kind"], "background"));
        Assert.Equal("OtherTransaction/Route/GET /reports/{id}", report["afterward.transaction.name"]);
        Assert.Equal("GET /reports/{id}", report.Name);

        // Metrics: durations by kind and name, Apdex zones, task outcomes, queue gauges, all under service.name.
        Assert.All(metrics, m => Assert.Equal("Shop", m.Service));
        ReceivedPoint webDuration = Latest(metrics, "afterward.transaction.duration", p => p["afterward.transaction.name"] is "WebTransaction/Route/POST /send");
        Assert.Equal("web", webDuration["afterward.transaction.kind"]);
        Assert.Equal(1UL, webDuration.Count);
        ReceivedPoint taskDuration = Latest(metrics, "afterward.transaction.duration", p => p["afterward.transaction.name"] is "OtherTransaction/Function/Program.SendEmail");
        Assert.Equal("background", taskDuration["afterward.transaction.kind"]);
        Assert.Equal("s", metrics.First(m => m.Name == "afterward.transaction.duration").Unit);
        Assert.Equal("histogram", metrics.First(m => m.Name == "afterward.transaction.duration").Type);

        ReceivedPoint satisfying = Latest(metrics, "afterward.apdex", p => p["afterward.apdex.zone"] is "satisfying");
        Assert.True(satisfying.Value >= 2, $"satisfying web transactions: {satisfying.Value}");
        ReceivedPoint completed = Latest(metrics, "afterward.tasks", p => p["afterward.task.outcome"] is "completed");
        Assert.Equal(4, completed.Value);
        Assert.Contains(metrics, m => m.Name == "afterward.tasks.queued" && m.Type == "gauge");
        Assert.Contains(metrics, m => m.Name == "afterward.tasks.running" && m.Type == "gauge");
    }

    /// <summary>The last exported point of a cumulative metric that matches.</summary>
    private static ReceivedPoint Latest(IReadOnlyList<ReceivedMetric> metrics, string name, Func<ReceivedPoint, bool> match) =>
        metrics.Where(m => m.Name == name).SelectMany(m => m.Points).Last(match);
}
