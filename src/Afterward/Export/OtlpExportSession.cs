using System.Diagnostics;
using System.Reflection;
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
internal sealed class OtlpExportSession
{
    /// <summary>ASP.NET Core's request activities, which web transactions enrich; harmless in a worker.</summary>
    internal const string AspNetCoreSource = "Microsoft.AspNetCore";

    private static readonly Lock ActiveGate = new();
    private static OtlpExportSession? _active;
    private static bool _processExitHooked;

    private readonly Application _application;
    private readonly TracerProvider? _tracer;
    private readonly MeterProvider? _meter;

    private OtlpExportSession(Application application, TracerProvider? tracer, MeterProvider? meter)
    {
        _application = application;
        _tracer = tracer;
        _meter = meter;
    }

    /// <summary>
    /// Starts export for <paramref name="application"/>, or returns null when no endpoint is configured.
    /// <paramref name="appOwnsTracer"/> / <paramref name="appOwnsMeter"/>: the application registered that provider
    /// itself, so Afterward builds none (and says so).
    /// </summary>
    /// <remarks>
    /// One session per process: every provider listens to the same static ActivitySource and Meter, so a second one
    /// would export everything twice. A later host in the same process exports nothing while the first one runs.
    /// </remarks>
    public static OtlpExportSession? Start(Application application, Func<string, string?> variables, bool appOwnsTracer = false, bool appOwnsMeter = false)
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

        lock (ActiveGate)
        {
            if (_active is { } active)
            {
                ExportLog.AlreadyExporting(logger, active._application.Name);
                return null;
            }

            _active = Create(application, settings, variables, traces: !appOwnsTracer, metrics: !appOwnsMeter);
            return _active;
        }
    }

    /// <summary>
    /// Starts export for processes without a host (<see cref="Agent.Initialize"/>): what is queued is exported when
    /// the process exits, within 5 s.
    /// </summary>
    public static void StartForProcess(Application application)
    {
        OtlpExportSession? session = Start(application, Environment.GetEnvironmentVariable);
        lock (ActiveGate)
        {
            if (session is null || _processExitHooked)
            {
                return;
            }

            _processExitHooked = true;
        }

        AppDomain.CurrentDomain.ProcessExit += static (_, _) =>
        {
            OtlpExportSession? current;
            lock (ActiveGate)
            {
                current = _active;
            }

            current?.Shutdown(TimeSpan.FromSeconds(5));
        };
    }

    private static OtlpExportSession Create(Application application, OtlpSettings settings, Func<string, string?> variables, bool traces, bool metrics)
    {
        ILogger logger = application.Logger;
        OtlpExportStatus status = application.Export;
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
                .AddProcessor(new SpanExportProcessor(exporter, settings, status, health))
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

        status.Start(settings.TracesEndpoint, settings.MetricsEndpoint);
        ExportLog.Exporting(logger, settings.TracesEndpoint, settings.MetricsEndpoint, settings.Protocol, application.Name);
        return new OtlpExportSession(application, tracer, meter);
    }

    /// <summary>Exports what is queued, within <paramref name="budget"/>, then stops both providers.</summary>
    public void Shutdown(TimeSpan budget)
    {
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
            Log.AgentFault(_application.Logger, "OTLP export shutdown", ex);
        }
        finally
        {
            _meter?.Dispose();
            _tracer?.Dispose();
            _application.Export.Stop();
            lock (ActiveGate)
            {
                if (_active == this)
                {
                    _active = null;
                }
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
