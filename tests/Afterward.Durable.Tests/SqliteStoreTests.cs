using Afterward.Durable.Storage;

namespace Afterward.Durable.Tests;

/// <summary>The SQLite store's statements on a real file, one at a time, with the argument shapes the runner passes.</summary>
public class SqliteStoreTests
{
    [Fact]
    public async Task TaskRunAgain_DetailListsEachRunsInstance_LastTwentyKept()
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("afterward-sqlite-").FullName, "tasks.db");
        await using var store = new SqliteDurableStore($"Data Source={file}", SqliteSynchronous.Normal);
        await store.InitializeAsync(CancellationToken.None);
        string id = await store.InsertAsync(new NewTask("moved", "work", "0", 3, null, null, 0, 0, Held: false, DelayMs: 0, TraceParent: null), null, CancellationToken.None);

        // The process that claimed it first died; the rescuer returned it once the lease expired; the next start ran it.
        Assert.Single(await store.ClaimAsync(["work"], 1, "a", 1_000, 2_000, CancellationToken.None));
        Assert.Equal(1, await store.RescueAsync(3_000));
        long token = Assert.Single(await store.ClaimAsync(["work"], 1, "b", 4_000, 5_000, CancellationToken.None)).LeaseToken;
        Assert.Equal([new StoredRun(1_000, "a"), new StoredRun(4_000, "b")], (await store.GetAsync(id, CancellationToken.None))!.Runs);

        // Put back and claimed again 25 times more: the detail keeps the last 20 runs, oldest first.
        for (int i = 0; i < 25; i++)
        {
            Assert.Equal([true], await store.CompleteAsync([new Completion(id, token, RunOutcome.Released, null, null)], 10_000 + i));
            token = Assert.Single(await store.ClaimAsync(["work"], 1, "c" + i, 10_000 + i, 90_000, CancellationToken.None)).LeaseToken;
        }

        Assert.Equal(Enumerable.Range(5, 20).Select(i => new StoredRun(10_000 + i, "c" + i)), (await store.GetAsync(id, CancellationToken.None))!.Runs);
    }
}
