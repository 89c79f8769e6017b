using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using Afterward.Transactions;

namespace Afterward;

/// <summary>
/// The process-wide agent: applications, the background-task call forms, segments and the calls that change the
/// current transaction. Works without <see cref="Initialize"/>, with defaults. Never throws into the application
/// except for programmer errors at the call site (a null argument).
/// </summary>
public static partial class Agent
{
    /// <summary>
    /// Configures the default application of a process without a host. Optional: the static API works without it.
    /// Idempotent: calling it again reapplies the options to the application they name (the first name configured
    /// stays the default). The agent reports its own problems through the <c>Afterward</c> EventSource and
    /// <see cref="AfterwardOptions.LoggerFactory"/> when set. OTLP export needs the Afterward.OpenTelemetry package
    /// (<c>AfterwardOtlpExport.Start(application)</c>).
    /// </summary>
    /// <param name="configure">Sets the options; null keeps the defaults.</param>
    /// <returns>The configured application.</returns>
    /// <exception cref="ArgumentException">An option is outside its accepted range.</exception>
    public static Application Initialize(Action<AfterwardOptions>? configure = null)
    {
        var options = new AfterwardOptions();
        configure?.Invoke(options);
        return ApplicationRegistry.Configure(options);
    }

    /// <summary>The application of that name, created with the default options if needed; null → the default application.</summary>
    public static Application Application(string? name = null)
    {
        if (name is not null && string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("An application name must not be empty or white space.", nameof(name));
        }

        return ApplicationRegistry.Get(name);
    }

    /// <summary>
    /// Gets or creates the application and makes sure its harvest loop runs. Afterward has no remote registration
    /// to wait for, so this returns at once; <paramref name="timeout"/> is accepted for parity with other agents.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative.</exception>
    public static Application RegisterApplication(string? name = null, TimeSpan? timeout = null)
    {
        if (timeout is { } t && t < TimeSpan.Zero && t != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), t, "The timeout must not be negative.");
        }

        return Application(name);
    }

    /// <summary>The current transaction of this execution flow, or null when there is none (or it has ended).</summary>
    public static Transaction? CurrentTransaction => AgentContext.Transaction;

    /// <summary>
    /// Runs the enclosed code as a background task. With no current transaction, starts a new background
    /// transaction that ends when the scope is disposed. Inside a web transaction, reclassifies it as a background
    /// task with this name and group (its start time is kept). Inside a background transaction, records a segment.
    /// </summary>
    /// <param name="application">The application to report under; null → the default application.</param>
    /// <param name="name">The transaction name; null → the calling method's readable name.</param>
    /// <param name="group">The group; null or empty → <c>Function</c>; <c>/X</c> → <c>Function/X</c>.</param>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static TransactionScope BackgroundTask(Application? application = null, string? name = null, string? group = null)
    {
        name ??= CallerName();
        return BeginBackgroundTask(application, name, group);
    }

    /// <summary>Starts a segment (function trace) in the current transaction; a no-op scope outside one.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public static SegmentScope FunctionTrace(string name, string? group = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        try
        {
            return SegmentScope.Start(name, group);
        }
        catch (Exception ex)
        {
            ReportFault("starting a segment", ex);
            return SegmentScope.None;
        }
    }

    /// <summary>Makes the current transaction a background (non-web) transaction, or a web one with false. Keeps its name.</summary>
    /// <returns>False when there is no current transaction (nothing happens then).</returns>
    public static bool SetBackgroundTask(bool flag = true)
    {
        Transaction? transaction = AgentContext.Transaction;
        transaction?.SetKind(flag ? TransactionKind.Background : TransactionKind.Web);
        return transaction is not null;
    }

    /// <summary>Names the current transaction; this name wins over the automatic (route) name.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <returns>False when there is no current transaction.</returns>
    public static bool SetTransactionName(string name, string? group = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return AgentContext.Transaction?.SetName(name, group, NamePriority.Api) ?? false;
    }

    /// <summary>Excludes (or, with false, re-includes) the current transaction from every metric.</summary>
    /// <returns>False when there is no current transaction.</returns>
    public static bool IgnoreTransaction(bool flag = true)
    {
        Transaction? transaction = AgentContext.Transaction;
        transaction?.SetIgnored(flag);
        return transaction is not null;
    }

    /// <summary>Keeps the current transaction out of Apdex (or puts it back with false).</summary>
    /// <returns>False when there is no current transaction.</returns>
    public static bool SuppressApdex(bool flag = true)
    {
        Transaction? transaction = AgentContext.Transaction;
        transaction?.SetApdexSuppressed(flag);
        return transaction is not null;
    }

    /// <summary>Records an error on the current transaction (counted in <c>Errors/*</c>, frustrating for Apdex).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is null.</exception>
    /// <returns>False when there is no current transaction.</returns>
    public static bool NoticeError(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Transaction? transaction = AgentContext.Transaction;
        transaction?.NoticeError(exception);
        return transaction is not null;
    }

    /// <summary>Adds an attribute to the current transaction (exported as an activity tag; at most 64 per transaction).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    /// <returns>False when there is no current transaction or the attribute limit was reached.</returns>
    public static bool AddCustomAttribute(string key, object? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        return AgentContext.Transaction?.AddAttribute(key, value) ?? false;
    }

    /// <summary>
    /// The readable name of a delegate's method, as used for default transaction names: <c>Ns.Type.Method</c>,
    /// a local function <c>Ns.Type.Method.Helper</c> (<c>Program.Helper</c> in top-level statements), a lambda
    /// <c>Ns.Type.Method.&lt;lambda&gt;</c>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="callable"/> is null.</exception>
    public static string CallableName(Delegate callable)
    {
        ArgumentNullException.ThrowIfNull(callable);
        return CallableNames.Of(callable.Method);
    }

    /// <summary>The totals an application recorded since it started; null → the default application.</summary>
    public static MetricsSnapshot Snapshot(string? application = null) => Application(application).Snapshot();

    /// <summary>Every application of this process that has recorded something.</summary>
    public static IReadOnlyList<Application> Applications()
    {
        var recorded = new List<Application>();
        foreach (Application application in ApplicationRegistry.All)
        {
            if (application.HasRecorded)
            {
                recorded.Add(application);
            }
        }

        recorded.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return recorded;
    }

    internal static TransactionScope BeginBackgroundTask(Application? application, string name, string? group)
    {
        try
        {
            Transaction? current = AgentContext.Transaction;
            if (current is null)
            {
                Application target = application ?? ApplicationRegistry.Get(null);
                return TransactionScope.Owner(target.StartTransaction(TransactionKind.Background, name, group));
            }

            if (current.Kind == TransactionKind.Web)
            {
                current.SetKind(TransactionKind.Background);
                current.SetName(name, group, NamePriority.Api);
                return TransactionScope.Joined(current, null);
            }

            return TransactionScope.Joined(current, SegmentScope.Start(name, group));
        }
        catch (Exception ex)
        {
            ReportFault("starting a background task", ex);
            return TransactionScope.None;
        }
    }

    internal static void ReportFault(string operation, Exception exception) =>
        ReportFault(AgentContext.Transaction?.Application, operation, exception);

    /// <summary>Logs the agent's own fault under <paramref name="application"/> (null → the default one); never throws.</summary>
    internal static void ReportFault(Application? application, string operation, Exception exception)
    {
        try
        {
            Log.AgentFault((application ?? ApplicationRegistry.Get(null)).Logger, operation, exception);
        }
        catch
        {
            // The agent never throws into the application, not even when logging fails.
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026",
        Justification = "Only names the caller. Where trimming removed the metadata the frame is null and the transaction is named Unnamed; pass name: to avoid it.")]
    private static string CallerName()
    {
        // Frame 0 is this method, frame 1 BackgroundTask, frame 2 its caller.
        MethodBase? caller = new StackFrame(2, needFileInfo: false).GetMethod();
        return caller is null ? MetricNames.Unnamed : CallableNames.Of(caller);
    }
}
