using Afterward.Durable.Runtime;
using Afterward.Tasks;
using Afterward.Transactions;
using Microsoft.Extensions.DependencyInjection;

namespace Afterward;

/// <summary>Durable tasks from a request handler.</summary>
public static class DurableBackgroundTasksExtensions
{
    /// <summary>
    /// Stores a durable task before it returns; it runs only after the response has completed (at least once, even
    /// if the process dies: then on the next start or another instance, at the latest
    /// <see cref="DurableTasksOptions.LeaseDuration"/> after this call). If the handler then fails with an unhandled
    /// exception, the task is deleted with a warning. Called outside a request (a running background task, a
    /// worker), it is stored runnable at once, as <see cref="IDurableTasks.EnqueueAsync"/>.
    /// </summary>
    /// <returns>The task's id, for a 202 response and a status URL.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not registered, or an option is invalid.</exception>
    /// <exception cref="InvalidOperationException"><c>services.AddDurableTasks(...)</c> was not called.</exception>
    public static async Task<string> AddDurableTaskAsync<TPayload>(this BackgroundTasks backgroundTasks, string name, TPayload payload,
        EnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backgroundTasks);
        DurableTasksService durable = backgroundTasks.Services.GetService<DurableTasksService>()
            ?? throw new InvalidOperationException("AddDurableTaskAsync needs builder.Services.AddDurableTasks(durable => ...) first.");
        Transaction? request = AgentContext.Transaction;
        if (request is not { Kind: TransactionKind.Web, AcceptsTasks: true } || options?.Transaction is not null)
        {
            return await durable.EnqueueAsync(name, payload, options, cancellationToken).ConfigureAwait(false);
        }

        string id = await durable.EnqueueHeldAsync(name, payload, options, cancellationToken).ConfigureAwait(false);
        DurableTaskRunner runner = backgroundTasks.Services.GetRequiredService<DurableTaskRunner>();
        var item = new BackendTask(runner, name, "DurableTask", id);
        bool added;
        try
        {
            added = request.AddTask(item);
        }
        catch (InvalidOperationException)
        {
            added = false;
        }

        if (!added)
        {
            // The response already completed: nothing will release it, so release it now.
            await runner.DispatchAsync(new TaskBatch([item], default, string.Empty)).ConfigureAwait(false);
        }

        return id;
    }
}
