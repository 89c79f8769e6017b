using Afterward.Durable.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Afterward.Durable.PostgreSql.Tests;

/// <summary>
/// The store's statements on the real server, one at a time, with the argument shapes the runner passes (a single id
/// or name in an array among them: such an array once bound as one parameter per element).
/// </summary>
public class PostgresStoreStatementTests
{
    [Fact]
    public async Task HeldTasks_OneDiscardedOneReleased_OnlyTheReleasedOneIsDue()
    {
        string schema = Postgres.NewSchema();
        await using var store = new PostgresDurableStore(Postgres.ConnectionString, schema, createSchema: true, NullLogger.Instance);
        await store.InitializeAsync(CancellationToken.None);
        // A held task is runnable by itself once its hold (run_at) passes, unless the response releases it first.
        string discarded = await store.InsertAsync(Held("a", 1_000_000), null, CancellationToken.None);
        string released = await store.InsertAsync(Held("b", 2_000_000), null, CancellationToken.None);

        Assert.Equal(1_000_000, await store.NextRunAtAsync(["work"]));
        Assert.Equal(1, await store.DiscardHeldAsync([discarded]));
        await store.ReleaseHeldAsync([released], 5_000);

        Assert.Null(await store.GetAsync(discarded, CancellationToken.None));
        Assert.Equal(5_000, await store.NextRunAtAsync(["work"]));
        IReadOnlyList<ClaimedTask> claimed = await store.ClaimAsync(["work"], 10, "test", 5_000, 35_000, CancellationToken.None);
        Assert.Equal([released], claimed.Select(c => c.Id));
        // Renewal is fenced by the token: the current one renews (nothing lost), a stale one is reported lost.
        Assert.Empty(await store.RenewAsync([new Lease(released, claimed[0].LeaseToken)], 40_000));
        Assert.Equal([released], await store.RenewAsync([new Lease(released, claimed[0].LeaseToken - 1)], 40_000));
        Assert.Equal([true], await store.CompleteAsync([new Completion(released, claimed[0].LeaseToken, RunOutcome.Succeeded, null, null)], 6_000));
        Assert.Equal([false], await store.CompleteAsync([new Completion(released, claimed[0].LeaseToken, RunOutcome.Succeeded, null, null)], 7_000));
    }

    private static NewTask Held(string id, long holdUntil) => new(id, "work", "0", 3, null, null, holdUntil, 0, Held: true, DelayMs: 0, TraceParent: null);
}
