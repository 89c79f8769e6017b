using Microsoft.Extensions.Logging;

namespace Afterward.AspNetCore.Hosting;

/// <summary>The ASP.NET Core integration's messages (3xxx).</summary>
internal static partial class AspNetCoreLog
{
    [LoggerMessage(3001, LogLevel.Warning,
        "HttpContext.Items[\"{Key}\"] holds {Value} ({Type}); expected {Expected}. It was ignored.")]
    public static partial void InvalidItemValue(ILogger logger, string key, string value, string type, string expected);
}
