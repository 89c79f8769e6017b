using Microsoft.Extensions.Time.Testing;
using Afterward.Transactions;

namespace Afterward.Tests;

/// <summary>Each test reports under an application of its own, so that snapshots never mix.</summary>
internal static class TestApps
{
    public static (Application App, FakeTimeProvider Time) Create(Action<AfterwardOptions>? configure = null)
    {
        var time = new FakeTimeProvider();
        var options = new AfterwardOptions { AppName = "test-" + Guid.NewGuid().ToString("N"), TimeProvider = time };
        configure?.Invoke(options);
        return (ApplicationRegistry.Configure(options), time);
    }

    /// <summary>Starts a web transaction the way the ASP.NET Core middleware does.</summary>
    public static TransactionScope StartWeb(Application app, string name = "GET /x", string group = "Route") =>
        TransactionScope.Owner(app.StartTransaction(TransactionKind.Web, name, group));

    public static long Count(this MetricsSnapshot snapshot, string metric) => snapshot.Get(metric)?.CallCount ?? 0;
}
