using System.Diagnostics;
using Afterward.Tasks;
using Afterward.Transactions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Afterward.AspNetCore.Hosting;

/// <summary>
/// One web transaction per request, enriching ASP.NET Core's own request activity; hands the request's background
/// tasks to the runner once the response has completed (or skips them if the handler failed).
/// </summary>
internal sealed class AfterwardMiddleware(RequestDelegate next, Application application, BackgroundTaskRunner runner)
{
    public async Task InvokeAsync(HttpContext context)
    {
        Transaction transaction;
        Endpoint? routed;
        Activity? requestActivity;
        RequestFeatures features;
        try
        {
            // ASP.NET Core makes its request activity current when it creates one: with none current there is none
            // (and no feature lookup to pay for).
            requestActivity = Activity.Current is null ? null : context.Features.Get<IHttpActivityFeature>()?.Activity;
            transaction = application.StartTransaction(TransactionKind.Web, "Unknown", "Uri", requestActivity);
            transaction.AcceptTasks();

            // Routing usually ran already (minimal hosting routes first): name it now, so it shows by route while in flight.
            features = new RequestFeatures(context.Features);
            routed = features.Endpoint?.Endpoint;
            if (routed is not null)
            {
                ApplyEndpoint(context, routed, transaction);
            }
        }
        catch (Exception ex)
        {
            Agent.ReportFault("starting a web transaction", ex);
            await next(context).ConfigureAwait(false);
            return;
        }

        // This is an async method: the ambient frame reverts for the caller when it returns.
        AgentContext.Frame = transaction;
        Exception? failure = null;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
            transaction.NoticeError(ex);
            throw;
        }
        finally
        {
            Complete(context, transaction, failure, routed, requestActivity, features);
        }
    }

    /// <summary>Names the transaction by its endpoint (route or action) and applies the endpoint's Afterward metadata.</summary>
    private static void ApplyEndpoint(HttpContext context, Endpoint? endpoint, Transaction transaction)
    {
        if (endpoint is null)
        {
            transaction.SetName(TransactionNamer.ForStatus(context.Response.StatusCode));
            return;
        }

        EndpointNames names = TransactionNamer.Of(endpoint);
        transaction.SetName(names.For(context.Request.Method));
        ApplyEndpointMetadata(names, transaction);
    }

    /// <summary>
    /// Records the request and hands its tasks over. Each step is isolated: naming, request items or span tags that
    /// throw (an <c>Items</c> value whose <c>ToString</c> throws, say) cost that step, never the request's tasks.
    /// </summary>
    private void Complete(HttpContext context, Transaction transaction, Exception? failure, Endpoint? routed, Activity? requestActivity,
        in RequestFeatures features)
    {
        try
        {
            // A failure that an exception handler turned into a response (UseExceptionHandler inside UseAfterward)
            // is still the handler's failure: its tasks do not run, as ASP.NET Core's own diagnostics count it; the
            // transaction keeps the failing endpoint's name (the handler cleared the endpoint to re-execute). The
            // handler sets its feature while handling: when no feature was set since the start, there is none.
            bool changed = features.ChangedSinceStart(context.Features);
            IExceptionHandlerFeature? handled = changed ? context.Features.Get<IExceptionHandlerFeature>() : null;
            Endpoint? endpoint = handled?.Endpoint ?? (changed || features.Endpoint is null ? context.GetEndpoint() : features.Endpoint.Endpoint);
            try
            {
                HttpServerSpan.Enrich(context, transaction.Activity, failure, endpoint);
            }
            catch (Exception ex)
            {
                Agent.ReportFault(application, "tagging the request span", ex);
            }

            try
            {
                // Named at the start already unless routing ran later, changed the endpoint, or found none (then by status code).
                if (endpoint is null || !ReferenceEquals(endpoint, routed))
                {
                    ApplyEndpoint(context, endpoint, transaction);
                }
            }
            catch (Exception ex)
            {
                Agent.ReportFault(application, "naming a web transaction", ex);
            }

            try
            {
                RequestItems.Apply(context, transaction, application);
            }
            catch (Exception ex)
            {
                Agent.ReportFault(application, "reading the request's afterward.* items", ex);
            }

            bool failed = failure is not null || handled is not null;
            if (context.Response.StatusCode >= 500)
            {
                transaction.NoticeError(failure ?? handled?.Error);
            }

            List<TaskItem>? tasks = transaction.TakeTasks();
            if (tasks is not null)
            {
                // With an activity the batch writes its trace id only if a task fails; without one, the request's
                // identifier must be read now (the context is reused after the response).
                var batch = new TaskBatch(tasks, requestActivity?.Context ?? default, requestActivity is null ? context.TraceIdentifier : null, runner);
                if (failed)
                {
                    batch.Skip(transaction.MetricName);
                }
                else
                {
                    // Runs in Response.OnCompleted: only queues the tasks (waiting only if the queue is full), never runs them.
                    context.Response.OnCompleted(static state => ((TaskBatch)state).DispatchAsync(), batch);
                }
            }
        }
        catch (Exception ex)
        {
            Agent.ReportFault(application, "completing a web transaction", ex);
        }
        finally
        {
            transaction.End();
        }
    }

    private static void ApplyEndpointMetadata(EndpointNames endpoint, Transaction transaction)
    {
        if (endpoint.IsDashboard)
        {
            transaction.SetIgnored(true);
            return;
        }

        if (endpoint.BackgroundTask is { } attribute)
        {
            transaction.SetKind(TransactionKind.Background);
            if (endpoint.BackgroundTaskName is { } name)
            {
                transaction.SetName(name);
            }

            if (!string.IsNullOrWhiteSpace(attribute.Application))
            {
                transaction.Application = Agent.Application(attribute.Application);
            }
        }
    }
}

/// <summary>
/// The request's endpoint feature and the feature collection's revision, read at the start: while the revision stays
/// the same no feature was added or replaced, so the end reads the endpoint from the same feature (routing and the
/// exception handler change its value, not the feature) and skips looking for an exception handler's feature, which
/// would otherwise cost a lookup through the server's and the connection's features on every request.
/// </summary>
internal readonly struct RequestFeatures(IFeatureCollection features)
{
    private readonly int _revision = features.Revision;

    public IEndpointFeature? Endpoint { get; } = features.Get<IEndpointFeature>();

    public bool ChangedSinceStart(IFeatureCollection now) => now.Revision != _revision;
}

/// <summary>Marks the dashboard's endpoints, whose requests are not recorded as transactions.</summary>
internal sealed class DashboardEndpointMetadata;
