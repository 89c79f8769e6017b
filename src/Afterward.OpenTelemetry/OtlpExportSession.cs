using System.Diagnostics;
using System.Reflection;
using Afterward.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Afterward.Export;

/// <summary>
/// The OpenTelemetry tracer and meter providers Afterward builds when OTLP export is configured: Afterward's
/// ActivitySource and ASP.NET Core's request activities, Afterward's Meter, exported with the SDK's OTLP exporters
/// through a bounded span queue. <c>service.name</c> is the application's name.
/// </summary>
internal sealed class OtlpExportSession : IExportSession
{
    /// <summary>ASP.NET Core's request activities, which web transactions enrich; harmless in a worker.</summary>
    internal const string AspNetCoreSource = "Microsoft.AspNetCore";

    /// <summary>
    /// The sessions of this process, oldest first. Every provider listens to the same ActivitySource and Meter
    /// names, so each session exports only the spans of its own host (<see cref="Owns"/>), and only the oldest
    /// exports the Meter (its points carry <c>afterward.app</c>).
    /// </summary>
    private static readonly Lock SessionsGate = new();
    private static OtlpExportSession[] _sessions = [];

    private readonly Application _application;
    private readonly ActivitySource? _hostAspNetCoreSource;
    private TracerProvider? _tracer;
    private MeterProvider? _meter;
    private int _shutdown;

    private OtlpExportSession(Application application, ActivitySource? hostAspNetCoreSource)
    {
        _application = application;
        _hostAspNetCoreSource = hostAspNetCoreSource;
    }

    /// <summary>
    /// Starts export for <paramref name="application"/>, or returns null when no endpoint is configured.
    /// <paramref name="appOwnsTracer"/> / <paramref name="appOwnsMeter"/>: the application registered that provider
    /// itself, so Afterward builds none (and says so).
    /// </summary>
    public static OtlpExportSession? Start(Application application, Func<string, string?> variables, bool appOwnsTracer = false, bool appOwnsMeter = false,
        ActivitySource? hostAspNetCoreSource = null)
    {
        ILogger logger = application.Logger;
        OtlpSettings? settings = OtlpSettings.Resolve(application.Options.Otlp, variables, logger);
        if (settings is null)
        {
            return null;
        }

        foreach ((bool owned, string provider) in new[] { (appOwnsTracer, nameof(TracerProvider)), (appOwnsMeter, nameof(MeterProvider)) })
        {
            if (!owned)
            {
                continue;
            }

            if (application.Options.Otlp.Endpoint is not null)
            {
                ExportLog.EndpointIgnored(logger, provider);
            }
            else
            {
                ExportLog.ApplicationOwnsProvider(logger, provider);
            }
        }

        if (appOwnsTracer && appOwnsMeter)
        {
            return null;
        }

        var session = new OtlpExportSession(application, hostAspNetCoreSource);
        bool metrics = !appOwnsMeter;
        lock (SessionsGate)
        {
            if (metrics && Array.Find(_sessions, static s => s._meter is not null) is { } exporting)
            {
                ExportLog.MetricsExportedElsewhere(logger, exporting._application.Name);
                metrics = false;
            }

            session.Build(settings, variables, traces: !appOwnsTracer, metrics);
            _sessions = [.. _sessions, session];
        }

        return session;
    }

    /// <summary>
    /// Whether this session exports <paramref name="activity"/>: one tagged with an application exports through
    /// that application's host (or the oldest session when no session's host owns it); an untagged one (a request
    /// the middleware did not see) through the host whose ASP.NET Core source made it, else the oldest session.
    /// </summary>
    internal bool Owns(Activity activity)
    {
        OtlpExportSession[] sessions = Volatile.Read(ref _sessions);
        if (sessions.Length <= 1)
        {
            return true;
        }

        OtlpExportSession? owner = null;
        if (activity.GetTagItem(AfterwardDiagnostics.AppTag) is string name && ApplicationRegistry.TryFind(name, out Application? application))
        {
            Application host = application.Host ?? application;
            owner = Array.Find(sessions, s => s._application == host);
        }
        else if (activity.Source.Name == AspNetCoreSource)
        {
            owner = Array.Find(sessions, s => ReferenceEquals(s._hostAspNetCoreSource, activity.Source));
        }

        return (owner ?? sessions[0]) == this;
    }

    private void Build(OtlpSettings settings, Func<string, string?> variables, bool traces, bool metrics)
    {
        Application application = _application;
        ILogger logger = application.Logger;
        ExportStatusCells status = application.ExportCells;
        TimeProvider time = application.Time;
        ResourceBuilder resource = Resource(application.Name, variables, logger);

        TracerProvider? tracer = null;
        if (traces)
        {
            var health = new ExportHealth("spans", settings.TracesEndpoint, () => status.SpansDropped, status, logger, time);
            var exporter = new OtlpTraceExporter(ExporterOptions(settings, settings.TracesEndpoint, health));
            tracer = Sdk.CreateTracerProviderBuilder()
                .SetResourceBuilder(resource)
                .AddSource(AfterwardDiagnostics.Name, AspNetCoreSource)
                .AddProcessor(new SpanExportProcessor(exporter, settings, status, health, Owns))
                .Build();
        }

        MeterProvider? meter = null;
        if (metrics)
        {
            var health = new ExportHealth("metrics", settings.MetricsEndpoint, () => status.MetricExportsFailed, status, logger, time);
            var exporter = new OtlpMetricExporter(ExporterOptions(settings, settings.MetricsEndpoint, health));
            var reader = new MetricExportReader(exporter, settings, status, health)
            {
                TemporalityPreference = settings.DeltaTemporality ? MetricReaderTemporalityPreference.Delta : MetricReaderTemporalityPreference.Cumulative,
            };

            // Names are already bounded per application (MaxTransactionNames, then {kind}/{group}/*); the limit
            // leaves room for both kinds and a few applications before the SDK's own overflow series takes over.
            int cardinality = Math.Max(2000, 2 * application.Options.MaxTransactionNames + 100);
            meter = Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(resource)
                .AddMeter(AfterwardDiagnostics.Name)
                .AddView(AfterwardDiagnostics.TransactionDuration.Name, new ExplicitBucketHistogramConfiguration
                {
                    Boundaries = AfterwardDiagnostics.DurationBuckets,
                    CardinalityLimit = cardinality,
                })
                .AddReader(reader)
                .Build();
        }

        _tracer = tracer;
        _meter = meter;
        status.Start(traces ? settings.TracesEndpoint : null, metrics ? settings.MetricsEndpoint : null);
        ExportLog.Exporting(logger, settings.TracesEndpoint, settings.MetricsEndpoint, settings.Protocol, application.Name);
    }

    /// <summary>Exports what is queued, within <paramref name="budget"/>, then stops both providers.</summary>
    public void Shutdown(TimeSpan budget)
    {
        if (Interlocked.Exchange(ref _shutdown, 1) != 0)
        {
            return;
        }

        var clock = Stopwatch.StartNew();
        int Remaining() => (int)Math.Clamp((budget - clock.Elapsed).TotalMilliseconds, 0, int.MaxValue);
        try
        {
            // Metrics first: their final export carries the counts of the tasks just drained.
            _meter?.Shutdown(Remaining());
            _tracer?.Shutdown(Remaining());
        }
        catch (Exception ex)
        {
            ExportLog.ExportFault(_application.Logger, "shutdown", ex);
        }
        finally
        {
            _meter?.Dispose();
            _tracer?.Dispose();
            _application.ExportCells.Stop();
            lock (SessionsGate)
            {
                _sessions = [.. _sessions.Where(s => s != this)];
            }
        }
    }

    private static OtlpExporterOptions ExporterOptions(OtlpSettings settings, Uri endpoint, ExportHealth health) => new()
    {
        Endpoint = endpoint,
        Protocol = settings.Protocol == OtlpProtocol.Grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf,
        Headers = settings.HeaderString(),
        TimeoutMilliseconds = (int)settings.Timeout.TotalMilliseconds,
        HttpClientFactory = () => ExportHttpHandler.CreateClient(health, settings.Timeout),
    };

    private static ResourceBuilder Resource(string serviceName, Func<string, string?> variables, ILogger logger)
    {
        Assembly? entry = Assembly.GetEntryAssembly();
        string? version = entry?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? entry?.GetName().Version?.ToString();
        var attributes = new List<KeyValuePair<string, object>>();
        foreach (KeyValuePair<string, string> pair in OtlpSettings.ParsePairs(OtlpSettings.ResourceAttributesVariable, variables(OtlpSettings.ResourceAttributesVariable), logger))
        {
            attributes.Add(new(pair.Key, pair.Value));
        }

        // Later additions win: OTEL_RESOURCE_ATTRIBUTES first, then the application's name as service.name.
        return ResourceBuilder.CreateEmpty()
            .AddTelemetrySdk()
            .AddAttributes(attributes)
            .AddService(serviceName, serviceVersion: version, autoGenerateServiceInstanceId: true);
    }
}
