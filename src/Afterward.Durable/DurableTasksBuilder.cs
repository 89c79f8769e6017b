using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Afterward.Durable.Handlers;
using Afterward.Durable.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Afterward;

/// <summary>
/// Registers durable task handlers and picks the store, inside <c>services.AddDurableTasks(durable => ...)</c>.
/// Registration errors throw here, at the call.
/// </summary>
public sealed class DurableTasksBuilder
{
    internal DurableTasksBuilder(IServiceCollection services, HandlerRegistry handlers)
    {
        Services = services;
        Handlers = handlers;
    }

    /// <summary>The host's services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// The code's settings. Values set here win over the <c>Afterward:DurableTasks</c> configuration section; those
    /// left at their defaults take the configuration's.
    /// </summary>
    public DurableTasksOptions Options { get; } = new();

    /// <summary>
    /// How payloads are written and read: default the web defaults (camelCase, as <c>JsonSerializerDefaults.Web</c>) through reflection. Give options
    /// with a source-generated <c>TypeInfoResolver</c>, or a <see cref="JsonTypeInfo{T}"/> per handler, for trimmed or
    /// AOT apps.
    /// </summary>
    public JsonSerializerOptions JsonSerializerOptions
    {
        get => Handlers.JsonOptions;
        set => Handlers.JsonOptions = value ?? throw new ArgumentNullException(nameof(value));
    }

    internal HandlerRegistry Handlers { get; }

    internal Func<IServiceProvider, IDurableStore>? StoreFactory { get; private set; }

    /// <summary>
    /// Stores tasks in a SQLite file (WAL, one writer). The default when no store is named:
    /// <c>Data Source=afterward-tasks.db</c> in the content root. A relative path is resolved against the content root.
    /// </summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, e.g. <c>Data Source=tasks.db</c>.</param>
    /// <param name="synchronous">Durability on power loss; <see cref="SqliteSynchronous.Normal"/> survives every process crash.</param>
    /// <exception cref="ArgumentException">The connection string is empty or names no file.</exception>
    public DurableTasksBuilder UseSqlite(string connectionString, SqliteSynchronous synchronous = SqliteSynchronous.Normal)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var parsed = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString);
        if (string.IsNullOrWhiteSpace(parsed.DataSource) || parsed.Mode == Microsoft.Data.Sqlite.SqliteOpenMode.Memory || parsed.DataSource.StartsWith(':'))
        {
            throw new ArgumentException("UseSqlite needs a file (Data Source=path.db): an in-memory database would lose every task at exit.", nameof(connectionString));
        }

        return UseStore(services => new SqliteDurableStore(ContentRootPath(services, connectionString), synchronous));
    }

    /// <summary>Registers a handler class for <paramref name="name"/>, created in each run's DI scope.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, over 255 characters or has control characters.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="name"/> is registered already.</exception>
    public DurableTasksBuilder AddHandler<TPayload, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(string name)
        where THandler : class, IDurableTaskHandler<TPayload> => AddHandler<TPayload, THandler>(name, null!);

    /// <summary>As <see cref="AddHandler{TPayload, THandler}(string)"/>, with the payload's source-generated JSON contract.</summary>
    public DurableTasksBuilder AddHandler<TPayload, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(string name, JsonTypeInfo<TPayload> jsonTypeInfo)
        where THandler : class, IDurableTaskHandler<TPayload>
    {
        HandlerRegistry.ValidateName(name);
        Services.TryAddScoped<THandler>();
        Handlers.Add(new DurableHandler<TPayload>(name, jsonTypeInfo, static (payload, context, services, token) =>
            services.GetRequiredService<THandler>().HandleAsync(payload, context, token)));
        return this;
    }

    /// <summary>Registers a delegate for <paramref name="name"/>; the provider it gets is the run's own DI scope.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> or <paramref name="handler"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, over 255 characters or has control characters.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="name"/> is registered already.</exception>
    public DurableTasksBuilder AddHandler<TPayload>(string name, Func<TPayload, IServiceProvider, CancellationToken, Task> handler) =>
        AddHandler(name, handler, null!);

    /// <summary>As <see cref="AddHandler{TPayload}(string, Func{TPayload, IServiceProvider, CancellationToken, Task})"/>, with the payload's source-generated JSON contract.</summary>
    public DurableTasksBuilder AddHandler<TPayload>(string name, Func<TPayload, IServiceProvider, CancellationToken, Task> handler, JsonTypeInfo<TPayload> jsonTypeInfo)
    {
        HandlerRegistry.ValidateName(name);
        ArgumentNullException.ThrowIfNull(handler);
        Handlers.Add(new DurableHandler<TPayload>(name, jsonTypeInfo, (payload, _, services, token) => handler(payload, services, token)));
        return this;
    }

    /// <summary>
    /// Declares a name that this host enqueues but another process runs (it has the handler): this host never claims
    /// those tasks.
    /// </summary>
    public DurableTasksBuilder AddRemoteHandler<TPayload>(string name) => AddRemoteHandler<TPayload>(name, null!);

    /// <summary>As <see cref="AddRemoteHandler{TPayload}(string)"/>, with the payload's source-generated JSON contract.</summary>
    public DurableTasksBuilder AddRemoteHandler<TPayload>(string name, JsonTypeInfo<TPayload> jsonTypeInfo)
    {
        HandlerRegistry.ValidateName(name);
        Handlers.Add(new DurableHandler<TPayload>(name, jsonTypeInfo, null));
        return this;
    }

    /// <summary>For store packages (PostgreSQL): the store this host uses.</summary>
    internal DurableTasksBuilder UseStore(Func<IServiceProvider, IDurableStore> factory)
    {
        StoreFactory = factory;
        return this;
    }

    /// <summary>A relative SQLite file is placed in the host's content root (as appsettings.json is found).</summary>
    internal static string ContentRootPath(IServiceProvider services, string connectionString)
    {
        var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString);
        if (!Path.IsPathRooted(builder.DataSource))
        {
            string root = services.GetService<Microsoft.Extensions.Hosting.IHostEnvironment>()?.ContentRootPath ?? AppContext.BaseDirectory;
            builder.DataSource = Path.Combine(root, builder.DataSource);
        }

        return builder.ToString();
    }
}
