using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Afterward.Durable.Handlers;

/// <summary>
/// The names this host knows: each with its payload's JSON contract, and, unless declared remote, the handler that
/// runs it. Stored data only ever names an entry here; no CLR type is read from storage.
/// </summary>
internal sealed class HandlerRegistry
{
    internal const int MaxNameLength = 255;

    private readonly Dictionary<string, DurableHandler> _entries = new(StringComparer.Ordinal);

    public JsonSerializerOptions JsonOptions { get; set; } = DefaultJsonOptions();

    /// <summary>Names this host runs (claims are filtered by them).</summary>
    public IReadOnlyList<string> HandledNames => [.. _entries.Values.Where(static e => e.Runs).Select(static e => e.Name)];

    public void Add(DurableHandler handler)
    {
        if (!_entries.TryAdd(handler.Name, handler))
        {
            throw new InvalidOperationException(
                $"A durable task handler named '{handler.Name}' is already registered. Each name has one handler (or one AddRemoteHandler declaration); pick another name.");
        }
    }

    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DurableHandler? handler) => _entries.TryGetValue(name, out handler);

    public DurableHandler Require(string name)
    {
        ValidateName(name);
        return _entries.TryGetValue(name, out DurableHandler? handler)
            ? handler
            : throw new ArgumentException(
                $"No durable task handler is registered as '{name}'. Register it in services.AddDurableTasks(durable => durable.AddHandler<TPayload, THandler>(\"{name}\")), " +
                $"or declare it with durable.AddRemoteHandler<TPayload>(\"{name}\") when another process runs it.", nameof(name));
    }

    /// <summary>
    /// The web defaults (camelCase) with the reflection-based contract when the app allows reflection; a trimmed or
    /// AOT app (reflection off) must give a source-generated <c>JsonTypeInfo</c> or options with its own resolver.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026",
        Justification = "Used only when JsonSerializer.IsReflectionEnabledByDefault; otherwise the options carry no reflection resolver.")]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("AOT", "IL3050",
        Justification = "Used only when JsonSerializer.IsReflectionEnabledByDefault; otherwise the options carry no reflection resolver.")]
    private static JsonSerializerOptions DefaultJsonOptions() =>
        JsonSerializer.IsReflectionEnabledByDefault ? JsonSerializerOptions.Web : new JsonSerializerOptions(JsonSerializerDefaults.Web);

    public static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            throw new ArgumentException(
                $"A durable task name must be 1–{MaxNameLength} characters without control characters; it was '{(name.Length > 40 ? name[..40] + "…" : name)}'.", nameof(name));
        }
    }
}

/// <summary>One registered name: its payload contract and, for a local handler, how to run it.</summary>
internal abstract class DurableHandler(string name, bool runs)
{
    public string Name { get; } = name;

    /// <summary>False for <c>AddRemoteHandler</c>: this host enqueues the name but another runs it.</summary>
    public bool Runs { get; } = runs;

    public abstract string Serialize(object? payload, Type payloadType, JsonSerializerOptions options);

    /// <summary>Reads the payload; throws <see cref="JsonException"/> (or NotSupportedException) when it no longer fits.</summary>
    public abstract object? Deserialize(string json, JsonSerializerOptions options);

    public abstract Task RunAsync(object? payload, DurableTaskContext context, IServiceProvider services, CancellationToken cancellationToken);
}

internal sealed class DurableHandler<TPayload>(string name, JsonTypeInfo<TPayload>? typeInfo, Func<TPayload, DurableTaskContext, IServiceProvider, CancellationToken, Task>? run)
    : DurableHandler(name, run is not null)
{
    public override string Serialize(object? payload, Type payloadType, JsonSerializerOptions options)
    {
        if (payload is not TPayload && payload is not null || payload is null && default(TPayload) is not null)
        {
            throw new ArgumentException(
                $"The durable task '{Name}' takes a payload of type {typeof(TPayload).FullName}; it was given {payloadType.FullName}.", nameof(payload));
        }

        return JsonSerializer.Serialize((TPayload)payload!, Contract(options));
    }

    public override object? Deserialize(string json, JsonSerializerOptions options) => JsonSerializer.Deserialize(json, Contract(options));

    public override Task RunAsync(object? payload, DurableTaskContext context, IServiceProvider services, CancellationToken cancellationToken) =>
        run!((TPayload)payload!, context, services, cancellationToken);

    /// <summary>The source-generated contract when one was given; else the options' resolver (reflection, when the app allows it).</summary>
    private JsonTypeInfo<TPayload> Contract(JsonSerializerOptions options) => typeInfo ?? (JsonTypeInfo<TPayload>)options.GetTypeInfo(typeof(TPayload));
}
