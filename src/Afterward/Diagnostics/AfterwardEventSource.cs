using System.Diagnostics.Tracing;

namespace Afterward.Diagnostics;

/// <summary>
/// The agent's own problems in a process without a host (no <c>ILoggerFactory</c>): an <see cref="EventSource"/>
/// named <c>Afterward</c>, read with <c>dotnet-trace collect --providers Afterward</c>, <c>dotnet-monitor</c> or an
/// <see cref="EventListener"/>. Costs nothing while nobody listens.
/// </summary>
[EventSource(Name = "Afterward")]
internal sealed class AfterwardEventSource : EventSource
{
    public static readonly AfterwardEventSource Log = new();

    private AfterwardEventSource()
    {
    }

    /// <summary>One log message: its level (Microsoft.Extensions.Logging's numbering), category, event id, text and exception.</summary>
    [Event(1, Level = EventLevel.Informational, Message = "{3}")]
    public void Message(int level, string category, int eventId, string message, string exception) =>
        WriteEvent(1, level, category, eventId, message, exception);
}
