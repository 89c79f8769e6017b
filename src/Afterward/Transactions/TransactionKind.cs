namespace Afterward;

/// <summary>Whether a transaction is reported with the web transactions or with the non-web (background) ones.</summary>
public enum TransactionKind
{
    /// <summary>A web transaction: <c>WebTransaction/{group}/{name}</c>, with Apdex.</summary>
    Web,

    /// <summary>A non-web transaction (background task): <c>OtherTransaction/{group}/{name}</c>, no Apdex.</summary>
    Background,
}
