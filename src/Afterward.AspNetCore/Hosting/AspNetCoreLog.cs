using Microsoft.Extensions.Logging;

namespace Afterward.AspNetCore.Hosting;

/// <summary>The ASP.NET Core integration's messages (3xxx).</summary>
internal static partial class AspNetCoreLog
{
    [LoggerMessage(3001, LogLevel.Warning,
        "HttpContext.Items[\"{Key}\"] holds {Value} ({Type}); expected a bool or one of on/true/1/off/false/0{Extra}. It was ignored.")]
    public static partial void InvalidItemValue(ILogger logger, string key, string value, string type, string extra);
}
