using Afterward.Transactions;

namespace Afterward.Tests;

public class InFlightSetTests
{
    [Fact]
    public void NotTracking_NothingListed()
    {
        var (app, _) = TestApps.Create();
        Transaction transaction = app.StartTransaction(TransactionKind.Web, "GET /a", "Route");

        Assert.False(app.InFlightSet.IsTracking);
        Assert.Empty(app.InFlightSet.Running);
        transaction.End();
    }

    [Fact]
    public void Tracking_RunningListedUntilEnded_EvenWhenMovedToAnotherApplication()
    {
        var (app, _) = TestApps.Create();
        var (other, _) = TestApps.Create();
        app.InFlightSet.Track();
        Transaction first = app.StartTransaction(TransactionKind.Web, "GET /a", "Route");
        Transaction second = app.StartTransaction(TransactionKind.Background, "job", "Task");

        Assert.Equal([first, second], app.InFlightSet.Running.OrderBy(t => t.Name == "job"));

        second.Application = other; // as afterward.app does: it still leaves the table it was listed in
        second.End();
        Assert.Equal([first], app.InFlightSet.Running);
        first.End();
        Assert.Empty(app.InFlightSet.Running);
    }

    [Fact]
    public void TableFull_FurtherStartsRunUnlisted_AndEndWithoutHarm()
    {
        var (app, _) = TestApps.Create();
        app.InFlightSet.Track();
        Transaction[] listed = [.. Enumerable.Range(0, InFlightSet.Capacity).Select(i => app.StartTransaction(TransactionKind.Web, "GET /a", "Route"))];
        Transaction unlisted = app.StartTransaction(TransactionKind.Web, "GET /b", "Route");

        Assert.Equal(InFlightSet.Capacity, app.InFlightSet.Running.Count());
        Assert.DoesNotContain(unlisted, app.InFlightSet.Running);
        unlisted.End();
        listed[0].End();
        Assert.Equal(InFlightSet.Capacity - 1, app.InFlightSet.Running.Count());

        // A freed slot is claimed again.
        Transaction again = app.StartTransaction(TransactionKind.Web, "GET /c", "Route");
        Assert.Contains(again, app.InFlightSet.Running);
        foreach (Transaction transaction in listed.Skip(1).Append(again))
        {
            transaction.End();
        }

        Assert.Empty(app.InFlightSet.Running);
        Assert.Equal(InFlightSet.Capacity + 2, app.Snapshot().Count("WebTransaction"));
    }
}
