namespace Afterward;

/// <summary>What a durable task's handler knows about the run it is in.</summary>
public sealed class DurableTaskContext
{
    internal DurableTaskContext(string id, string name, int attempt, DateTimeOffset enqueuedAt)
    {
        Id = id;
        Name = name;
        Attempt = attempt;
        EnqueuedAt = enqueuedAt;
    }

    /// <summary>The task's id.</summary>
    public string Id { get; }

    /// <summary>The registered name it runs under.</summary>
    public string Name { get; }

    /// <summary>The number of runs started so far, this one included: 1 on the first run.</summary>
    public int Attempt { get; }

    /// <summary>When the task was stored.</summary>
    public DateTimeOffset EnqueuedAt { get; }
}
