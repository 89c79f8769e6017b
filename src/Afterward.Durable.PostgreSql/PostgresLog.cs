using Microsoft.Extensions.Logging;

namespace Afterward.Durable.PostgreSql;

/// <summary>The PostgreSQL store's messages (42xx).</summary>
internal static partial class PostgresLog
{
    [LoggerMessage(4201, LogLevel.Warning,
        "The durable tasks' LISTEN connection to PostgreSQL dropped; reconnecting in 1 s. Tasks of other instances are found by polling meanwhile.")]
    public static partial void ListenerDropped(ILogger logger, Exception exception);
}
