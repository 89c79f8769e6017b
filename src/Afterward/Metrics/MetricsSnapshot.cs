namespace Afterward;

/// <summary>
/// An immutable copy of an application's metrics: the totals since it started (<see cref="Application.Snapshot"/>)
/// or the delta of one harvest interval (<see cref="Application.RecentHarvests"/>).
/// </summary>
public sealed class MetricsSnapshot
{
    private readonly Dictionary<string, MetricStats> _unscoped;
    private readonly Dictionary<(string Scope, string Name), MetricStats> _scoped;
    private readonly Dictionary<string, ApdexStats> _apdex;

    internal MetricsSnapshot(
        string application,
        DateTimeOffset start,
        DateTimeOffset end,
        Dictionary<string, MetricStats> unscoped,
        Dictionary<(string Scope, string Name), MetricStats> scoped,
        Dictionary<string, ApdexStats> apdex)
    {
        Application = application;
        Start = start;
        End = end;
        _unscoped = unscoped;
        _scoped = scoped;
        _apdex = apdex;
    }

    /// <summary>The application's name.</summary>
    public string Application { get; }

    /// <summary>When the covered period began (the application's start for totals).</summary>
    public DateTimeOffset Start { get; }

    /// <summary>When the snapshot was taken.</summary>
    public DateTimeOffset End { get; }

    /// <summary>The unscoped metric names, in ordinal order.</summary>
    public IReadOnlyCollection<string> MetricNames => [.. _unscoped.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The scoped metrics as (scope, name) pairs: segments recorded inside a transaction.</summary>
    public IReadOnlyCollection<(string Scope, string Name)> ScopedMetricNames => [.. _scoped.Keys];

    /// <summary>The names of the Apdex metrics (<c>Apdex</c> and <c>Apdex/{group}/{name}</c>).</summary>
    public IReadOnlyCollection<string> ApdexNames => [.. _apdex.Keys.Order(StringComparer.Ordinal)];

    /// <summary>True when nothing was recorded.</summary>
    public bool IsEmpty => _unscoped.Count == 0 && _apdex.Count == 0;

    /// <summary>The stats of an unscoped metric, or null if it was never recorded.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public MetricStats? Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _unscoped.GetValueOrDefault(name);
    }

    /// <summary>The stats of a metric scoped to a transaction (for example a segment), or null.</summary>
    /// <param name="scope">The transaction's metric name, such as <c>OtherTransaction/Function/Nightly.Run</c>.</param>
    /// <param name="name">The scoped metric's name, such as <c>Function/Step</c>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public MetricStats? GetScoped(string scope, string name)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(name);
        return _scoped.GetValueOrDefault((scope, name));
    }

    /// <summary>The Apdex counts of <c>Apdex</c> or <c>Apdex/{group}/{name}</c>, or null.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public ApdexStats? GetApdex(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _apdex.GetValueOrDefault(name);
    }
}
