namespace Afterward.DependencyInjection;

/// <summary>The DI face of <see cref="Agent"/>, bound to the host's application.</summary>
internal sealed class AfterwardAgentService(Application application) : IAfterwardAgent
{
    public Application Application { get; } = application;

    public Transaction? CurrentTransaction => Agent.CurrentTransaction;

    public TransactionScope BackgroundTask(string? name = null, string? group = null) =>
        Agent.BeginBackgroundTask(Application, name ?? Transactions.MetricNames.Unnamed, group);

    public SegmentScope FunctionTrace(string name, string? group = null) => Agent.FunctionTrace(name, group);

    public bool SetBackgroundTask(bool flag = true) => Agent.SetBackgroundTask(flag);

    public bool SetTransactionName(string name, string? group = null) => Agent.SetTransactionName(name, group);

    public bool IgnoreTransaction(bool flag = true) => Agent.IgnoreTransaction(flag);

    public bool SuppressApdex(bool flag = true) => Agent.SuppressApdex(flag);

    public bool NoticeError(Exception exception) => Agent.NoticeError(exception);

    public bool AddCustomAttribute(string key, object? value) => Agent.AddCustomAttribute(key, value);

    public MetricsSnapshot Snapshot() => Application.Snapshot();
}
