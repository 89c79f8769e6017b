namespace Afterward;

/// <summary>SQLite's <c>synchronous</c> setting for the durable store (in WAL mode).</summary>
public enum SqliteSynchronous
{
    /// <summary>
    /// The default. Every committed task survives a process crash (kill -9, OOM); a power loss or OS crash can lose
    /// the last transactions committed before it (never corrupts the file).
    /// </summary>
    Normal,

    /// <summary>Every commit is fsynced: committed tasks survive a power loss too, at the cost of one fsync per write batch.</summary>
    Full,
}
