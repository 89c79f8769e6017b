namespace Afterward;

/// <summary>
/// Per-request keys read from <c>HttpContext.Items</c>. Values: <see cref="bool"/>, or a string <c>on/true/1</c> or
/// <c>off/false/0</c> (any case, trimmed); anything else is ignored with a warning logged once.
/// </summary>
public static class AfterwardKeys
{
    /// <summary>True: this request's transaction is a background (non-web) transaction; false: a web one.</summary>
    public const string SetBackgroundTask = "afterward.set_background_task";

    /// <summary>A string: report this request under that application instead of the host's.</summary>
    public const string AppName = "afterward.app_name";

    /// <summary>True: record nothing for this request.</summary>
    public const string IgnoreTransaction = "afterward.ignore_transaction";

    /// <summary>True: keep this request out of Apdex.</summary>
    public const string SuppressApdex = "afterward.suppress_apdex";
}
