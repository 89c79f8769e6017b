namespace Afterward;

/// <summary>
/// The agent as a DI service, bound to the host's application. It forwards to the same process-wide state as the
/// static <see cref="Agent"/>; inject it where a static call is awkward to test.
/// </summary>
public interface IAfterwardAgent
{
    /// <summary>The host's application.</summary>
    Application Application { get; }

    /// <summary>See <see cref="Agent.CurrentTransaction"/>.</summary>
    Transaction? CurrentTransaction { get; }

    /// <summary>See <see cref="Agent.BackgroundTask"/>; reports under <see cref="Application"/>.</summary>
    TransactionScope BackgroundTask(string? name = null, string? group = null);

    /// <summary>See <see cref="Agent.FunctionTrace"/>.</summary>
    SegmentScope FunctionTrace(string name, string? group = null);

    /// <summary>See <see cref="Agent.SetBackgroundTask"/>.</summary>
    bool SetBackgroundTask(bool flag = true);

    /// <summary>See <see cref="Agent.SetTransactionName"/>.</summary>
    bool SetTransactionName(string name, string? group = null);

    /// <summary>See <see cref="Agent.IgnoreTransaction"/>.</summary>
    bool IgnoreTransaction(bool flag = true);

    /// <summary>See <see cref="Agent.SuppressApdex"/>.</summary>
    bool SuppressApdex(bool flag = true);

    /// <summary>See <see cref="Agent.NoticeError"/>.</summary>
    bool NoticeError(Exception exception);

    /// <summary>See <see cref="Agent.AddCustomAttribute"/>.</summary>
    bool AddCustomAttribute(string key, object? value);

    /// <summary>The totals of <see cref="Application"/> since it started.</summary>
    MetricsSnapshot Snapshot();
}
