using Afterward.Durable.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Afterward;

/// <summary>The PostgreSQL store for durable tasks.</summary>
public static class PostgresDurableTasksBuilderExtensions
{
    /// <summary>
    /// Stores durable tasks in PostgreSQL, where several instances share one queue: claims with
    /// <c>FOR UPDATE SKIP LOCKED</c>, leases, <c>LISTEN/NOTIFY</c> wake-ups with polling as the fallback. The schema is
    /// created or migrated at startup under an advisory lock unless <paramref name="createSchema"/> is false (then
    /// apply <c>docs/postgresql.sql</c> yourself).
    /// </summary>
    /// <param name="durable">The builder.</param>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="schema">The schema the table lives in; default <c>afterward</c>; a lower-case identifier.</param>
    /// <param name="createSchema">Create or migrate the schema at startup; default true.</param>
    /// <exception cref="ArgumentException">The connection string is empty or the schema name is not a lower-case identifier.</exception>
    public static DurableTasksBuilder UsePostgres(this DurableTasksBuilder durable, string connectionString, string schema = "afterward", bool createSchema = true)
    {
        ArgumentNullException.ThrowIfNull(durable);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _ = new PostgresSchema(schema);
        return durable.UseStore(services => new PostgresDurableStore(connectionString, schema, createSchema,
            services.GetService<ILoggerFactory>()?.CreateLogger("Afterward") ?? NullLogger.Instance));
    }
}
