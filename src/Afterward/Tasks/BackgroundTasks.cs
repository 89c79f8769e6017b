using System.Runtime.CompilerServices;
using Afterward.Tasks;
using Afterward.Transactions;
using Microsoft.Extensions.DependencyInjection;

namespace Afterward;

/// <summary>
/// Schedules work to run after the response has been sent: in the order added, one after another, in a fresh DI
/// scope, each task its own background transaction; a failing task does not stop the next. Inject it into a
/// minimal API handler, an MVC action (<c>[FromServices]</c>) or resolve it from <c>HttpContext.RequestServices</c>.
/// Arguments are captured when <c>AddTask</c> is called. If the handler fails with an unhandled exception, its tasks
/// are skipped.
/// </summary>
/// <remarks>
/// Task-returning overloads take priority so that an async lambda is awaited as a <see cref="Task"/>, never run as
/// <c>async void</c>.
/// </remarks>
public sealed class BackgroundTasks
{
    private readonly IServiceProvider _services;

    /// <summary>
    /// Created by DI, once per host: it holds no state of its own (the tasks go to the current request's
    /// transaction), so taking it in a handler costs the request nothing.
    /// </summary>
    /// <param name="services">The services, used to check that a task's services are registered.</param>
    public BackgroundTasks(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _services = services;
    }

    /// <summary>Runs a synchronous method after the response with 0 captured argument(s).</summary>
    /// <param name="task">The method to run.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    public ScheduledTask AddTask(Action task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<object?>(task, null, static (d, _, _, _) =>
        {
            ((Action)d)();
            return default;
        }));
    }

    /// <summary>Runs an async method after the response with 0 captured argument(s); it is awaited, not fire-and-forget.</summary>
    /// <param name="task">The method to run.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    [OverloadResolutionPriority(1)]
    public ScheduledTask AddTask(Func<Task> task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<object?>(task, null, static (d, _, _, _) => new ValueTask(((Func<Task>)d)())));
    }

    /// <summary>Runs a ValueTask-returning method after the response with 0 captured argument(s).</summary>
    /// <param name="task">The method to run.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    public ScheduledTask AddTask(Func<ValueTask> task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<object?>(task, null, static (d, _, _, _) => ((Func<ValueTask>)d)()));
    }

    /// <summary>
    /// Runs an async method after the response with 0 captured argument(s) and a token that fires at the shutdown
    /// deadline or the task's timeout.
    /// </summary>
    /// <param name="task">The method to run.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    [OverloadResolutionPriority(1)]
    public ScheduledTask AddTask(Func<CancellationToken, Task> task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<object?>(task, null, static (d, _, _, cancellationToken) => new ValueTask(((Func<CancellationToken, Task>)d)(cancellationToken))));
    }

    /// <summary>Runs a synchronous method after the response with 1 captured argument(s).</summary>
    /// <param name="task">The method to run.</param>
    /// <param name="arg1">Argument 1, captured now by value.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    public ScheduledTask AddTask<T1>(Action<T1> task, T1 arg1)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<T1>(task, arg1, static (d, s, _, _) =>
        {
            ((Action<T1>)d)(s);
            return default;
        }));
    }

    /// <summary>Runs an async method after the response with 1 captured argument(s); it is awaited, not fire-and-forget.</summary>
    /// <param name="task">The method to run.</param>
    /// <param name="arg1">Argument 1, captured now by value.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    [OverloadResolutionPriority(1)]
    public ScheduledTask AddTask<T1>(Func<T1, Task> task, T1 arg1)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<T1>(task, arg1, static (d, s, _, _) => new ValueTask(((Func<T1, Task>)d)(s))));
    }

    /// <summary>Runs a ValueTask-returning method after the response with 1 captured argument(s).</summary>
    /// <param name="task">The method to run.</param>
    /// <param name="arg1">Argument 1, captured now by value.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    public ScheduledTask AddTask<T1>(Func<T1, ValueTask> task, T1 arg1)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<T1>(task, arg1, static (d, s, _, _) => ((Func<T1, ValueTask>)d)(s)));
    }

    /// <summary>
    /// Runs an async method after the response with 1 captured argument(s) and a token that fires at the shutdown
    /// deadline or the task's timeout.
    /// </summary>
    /// <param name="task">The method to run.</param>
    /// <param name="arg1">Argument 1, captured now by value.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    [OverloadResolutionPriority(1)]
    public ScheduledTask AddTask<T1>(Func<T1, CancellationToken, Task> task, T1 arg1)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<T1>(task, arg1, static (d, s, _, cancellationToken) => new ValueTask(((Func<T1, CancellationToken, Task>)d)(s, cancellationToken))));
    }

    /// <summary>Runs a synchronous method after the response with 2 captured argument(s).</summary>
    /// <param name="task">The method to run.</param>
    /// <param name="arg1">Argument 1, captured now by value.</param>
    /// <param name="arg2">Argument 2, captured now by value.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    public ScheduledTask AddTask<T1, T2>(Action<T1, T2> task, T1 arg1, T2 arg2)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<(T1, T2)>(task, (arg1, arg2), static (d, s, _, _) =>
        {
            ((Action<T1, T2>)d)(s.Item1, s.Item2);
            return default;
        }));
    }

    /// <summary>Runs an async method after the response with 2 captured argument(s); it is awaited, not fire-and-forget.</summary>
    /// <param name="task">The method to run.</param>
    /// <param name="arg1">Argument 1, captured now by value.</param>
    /// <param name="arg2">Argument 2, captured now by value.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    [OverloadResolutionPriority(1)]
    public ScheduledTask AddTask<T1, T2>(Func<T1, T2, Task> task, T1 arg1, T2 arg2)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<(T1, T2)>(task, (arg1, arg2), static (d, s, _, _) => new ValueTask(((Func<T1, T2, Task>)d)(s.Item1, s.Item2))));
    }

    /// <summary>Runs a ValueTask-returning method after the response with 2 captured argument(s).</summary>
    /// <param name="task">The method to run.</param>
    /// <param name="arg1">Argument 1, captured now by value.</param>
    /// <param name="arg2">Argument 2, captured now by value.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    public ScheduledTask AddTask<T1, T2>(Func<T1, T2, ValueTask> task, T1 arg1, T2 arg2)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<(T1, T2)>(task, (arg1, arg2), static (d, s, _, _) => ((Func<T1, T2, ValueTask>)d)(s.Item1, s.Item2)));
    }

    /// <summary>
    /// Runs an async method after the response with 2 captured argument(s) and a token that fires at the shutdown
    /// deadline or the task's timeout.
    /// </summary>
    /// <param name="task">The method to run.</param>
    /// <param name="arg1">Argument 1, captured now by value.</param>
    /// <param name="arg2">Argument 2, captured now by value.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    [OverloadResolutionPriority(1)]
    public ScheduledTask AddTask<T1, T2>(Func<T1, T2, CancellationToken, Task> task, T1 arg1, T2 arg2)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<(T1, T2)>(task, (arg1, arg2), static (d, s, _, cancellationToken) => new ValueTask(((Func<T1, T2, CancellationToken, Task>)d)(s.Item1, s.Item2, cancellationToken))));
    }

    /// <summary>Runs a synchronous method after the response with 3 captured argument(s).</summary>
    /// <param name="task">The method to run.</param>
    /// <param name="arg1">Argument 1, captured now by value.</param>
    /// <param name="arg2">Argument 2, captured now by value.</param>
    /// <param name="arg3">Argument 3, captured now by value.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    public ScheduledTask AddTask<T1, T2, T3>(Action<T1, T2, T3> task, T1 arg1, T2 arg2, T3 arg3)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<(T1, T2, T3)>(task, (arg1, arg2, arg3), static (d, s, _, _) =>
        {
            ((Action<T1, T2, T3>)d)(s.Item1, s.Item2, s.Item3);
            return default;
        }));
    }

    /// <summary>Runs an async method after the response with 3 captured argument(s); it is awaited, not fire-and-forget.</summary>
    /// <param name="task">The method to run.</param>
    /// <param name="arg1">Argument 1, captured now by value.</param>
    /// <param name="arg2">Argument 2, captured now by value.</param>
    /// <param name="arg3">Argument 3, captured now by value.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    [OverloadResolutionPriority(1)]
    public ScheduledTask AddTask<T1, T2, T3>(Func<T1, T2, T3, Task> task, T1 arg1, T2 arg2, T3 arg3)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<(T1, T2, T3)>(task, (arg1, arg2, arg3), static (d, s, _, _) => new ValueTask(((Func<T1, T2, T3, Task>)d)(s.Item1, s.Item2, s.Item3))));
    }

    /// <summary>Runs a ValueTask-returning method after the response with 3 captured argument(s).</summary>
    /// <param name="task">The method to run.</param>
    /// <param name="arg1">Argument 1, captured now by value.</param>
    /// <param name="arg2">Argument 2, captured now by value.</param>
    /// <param name="arg3">Argument 3, captured now by value.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    public ScheduledTask AddTask<T1, T2, T3>(Func<T1, T2, T3, ValueTask> task, T1 arg1, T2 arg2, T3 arg3)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<(T1, T2, T3)>(task, (arg1, arg2, arg3), static (d, s, _, _) => ((Func<T1, T2, T3, ValueTask>)d)(s.Item1, s.Item2, s.Item3)));
    }

    /// <summary>
    /// Runs an async method after the response with 3 captured argument(s) and a token that fires at the shutdown
    /// deadline or the task's timeout.
    /// </summary>
    /// <param name="task">The method to run.</param>
    /// <param name="arg1">Argument 1, captured now by value.</param>
    /// <param name="arg2">Argument 2, captured now by value.</param>
    /// <param name="arg3">Argument 3, captured now by value.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    [OverloadResolutionPriority(1)]
    public ScheduledTask AddTask<T1, T2, T3>(Func<T1, T2, T3, CancellationToken, Task> task, T1 arg1, T2 arg2, T3 arg3)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<(T1, T2, T3)>(task, (arg1, arg2, arg3), static (d, s, _, cancellationToken) => new ValueTask(((Func<T1, T2, T3, CancellationToken, Task>)d)(s.Item1, s.Item2, s.Item3, cancellationToken))));
    }

    /// <summary>Runs a synchronous method after the response with 4 captured argument(s).</summary>
    /// <param name="task">The method to run.</param>
    /// <param name="arg1">Argument 1, captured now by value.</param>
    /// <param name="arg2">Argument 2, captured now by value.</param>
    /// <param name="arg3">Argument 3, captured now by value.</param>
    /// <param name="arg4">Argument 4, captured now by value.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    public ScheduledTask AddTask<T1, T2, T3, T4>(Action<T1, T2, T3, T4> task, T1 arg1, T2 arg2, T3 arg3, T4 arg4)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<(T1, T2, T3, T4)>(task, (arg1, arg2, arg3, arg4), static (d, s, _, _) =>
        {
            ((Action<T1, T2, T3, T4>)d)(s.Item1, s.Item2, s.Item3, s.Item4);
            return default;
        }));
    }

    /// <summary>Runs an async method after the response with 4 captured argument(s); it is awaited, not fire-and-forget.</summary>
    /// <param name="task">The method to run.</param>
    /// <param name="arg1">Argument 1, captured now by value.</param>
    /// <param name="arg2">Argument 2, captured now by value.</param>
    /// <param name="arg3">Argument 3, captured now by value.</param>
    /// <param name="arg4">Argument 4, captured now by value.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    [OverloadResolutionPriority(1)]
    public ScheduledTask AddTask<T1, T2, T3, T4>(Func<T1, T2, T3, T4, Task> task, T1 arg1, T2 arg2, T3 arg3, T4 arg4)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<(T1, T2, T3, T4)>(task, (arg1, arg2, arg3, arg4), static (d, s, _, _) => new ValueTask(((Func<T1, T2, T3, T4, Task>)d)(s.Item1, s.Item2, s.Item3, s.Item4))));
    }

    /// <summary>Runs a ValueTask-returning method after the response with 4 captured argument(s).</summary>
    /// <param name="task">The method to run.</param>
    /// <param name="arg1">Argument 1, captured now by value.</param>
    /// <param name="arg2">Argument 2, captured now by value.</param>
    /// <param name="arg3">Argument 3, captured now by value.</param>
    /// <param name="arg4">Argument 4, captured now by value.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    public ScheduledTask AddTask<T1, T2, T3, T4>(Func<T1, T2, T3, T4, ValueTask> task, T1 arg1, T2 arg2, T3 arg3, T4 arg4)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<(T1, T2, T3, T4)>(task, (arg1, arg2, arg3, arg4), static (d, s, _, _) => ((Func<T1, T2, T3, T4, ValueTask>)d)(s.Item1, s.Item2, s.Item3, s.Item4)));
    }

    /// <summary>
    /// Runs an async method after the response with 4 captured argument(s) and a token that fires at the shutdown
    /// deadline or the task's timeout.
    /// </summary>
    /// <param name="task">The method to run.</param>
    /// <param name="arg1">Argument 1, captured now by value.</param>
    /// <param name="arg2">Argument 2, captured now by value.</param>
    /// <param name="arg3">Argument 3, captured now by value.</param>
    /// <param name="arg4">Argument 4, captured now by value.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a request handled by <c>app.UseAfterward()</c> and outside a running background task.</exception>
    [OverloadResolutionPriority(1)]
    public ScheduledTask AddTask<T1, T2, T3, T4>(Func<T1, T2, T3, T4, CancellationToken, Task> task, T1 arg1, T2 arg2, T3 arg3, T4 arg4)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Add(new DelegateTask<(T1, T2, T3, T4)>(task, (arg1, arg2, arg3, arg4), static (d, s, _, cancellationToken) => new ValueTask(((Func<T1, T2, T3, T4, CancellationToken, Task>)d)(s.Item1, s.Item2, s.Item3, s.Item4, cancellationToken))));
    }

    /// <summary>
    /// Runs a method after the response with a service resolved from the task list's own DI scope (never the
    /// request's).
    /// </summary>
    /// <typeparam name="TService">A service registered in DI.</typeparam>
    /// <param name="task">The method to run.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A service is not registered, or the call is outside a request and outside a running background task.</exception>
    public ScheduledTask AddTask<TService>(Action<TService> task)
        where TService : notnull
    {
        ArgumentNullException.ThrowIfNull(task);
        RequireService(typeof(TService));
        return Add(new DelegateTask<object?>(task, null, static (d, _, services, _) =>
        {
            ((Action<TService>)d)(services.GetRequiredService<TService>());
            return default;
        }));
    }

    /// <summary>
    /// Runs a method after the response with a service resolved from the task list's own DI scope (never the
    /// request's).
    /// </summary>
    /// <typeparam name="TService">A service registered in DI.</typeparam>
    /// <param name="task">The method to run.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A service is not registered, or the call is outside a request and outside a running background task.</exception>
    [OverloadResolutionPriority(1)]
    public ScheduledTask AddTask<TService>(Func<TService, Task> task)
        where TService : notnull
    {
        ArgumentNullException.ThrowIfNull(task);
        RequireService(typeof(TService));
        return Add(new DelegateTask<object?>(task, null, static (d, _, services, _) => new ValueTask(((Func<TService, Task>)d)(services.GetRequiredService<TService>()))));
    }

    /// <summary>
    /// Runs a method after the response with a service resolved from the task list's own DI scope (never the
    /// request's), and a token that fires at the shutdown deadline or the task's timeout.
    /// </summary>
    /// <typeparam name="TService">A service registered in DI.</typeparam>
    /// <param name="task">The method to run.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A service is not registered, or the call is outside a request and outside a running background task.</exception>
    [OverloadResolutionPriority(1)]
    public ScheduledTask AddTask<TService>(Func<TService, CancellationToken, Task> task)
        where TService : notnull
    {
        ArgumentNullException.ThrowIfNull(task);
        RequireService(typeof(TService));
        return Add(new DelegateTask<object?>(task, null, static (d, _, services, cancellationToken) => new ValueTask(((Func<TService, CancellationToken, Task>)d)(services.GetRequiredService<TService>(), cancellationToken))));
    }

    /// <summary>
    /// Runs a method after the response with two services resolved from the task list's own DI scope (never the
    /// request's).
    /// </summary>
    /// <typeparam name="TService1">A service registered in DI.</typeparam>
    /// <typeparam name="TService2">A service registered in DI.</typeparam>
    /// <param name="task">The method to run.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A service is not registered, or the call is outside a request and outside a running background task.</exception>
    [OverloadResolutionPriority(1)]
    public ScheduledTask AddTask<TService1, TService2>(Func<TService1, TService2, Task> task)
        where TService1 : notnull
        where TService2 : notnull
    {
        ArgumentNullException.ThrowIfNull(task);
        RequireService(typeof(TService1));
        RequireService(typeof(TService2));
        return Add(new DelegateTask<object?>(task, null, static (d, _, services, _) => new ValueTask(((Func<TService1, TService2, Task>)d)(services.GetRequiredService<TService1>(), services.GetRequiredService<TService2>()))));
    }

    /// <summary>
    /// Runs a method after the response with two services resolved from the task list's own DI scope (never the
    /// request's), and a token that fires at the shutdown deadline or the task's timeout.
    /// </summary>
    /// <typeparam name="TService1">A service registered in DI.</typeparam>
    /// <typeparam name="TService2">A service registered in DI.</typeparam>
    /// <param name="task">The method to run.</param>
    /// <returns>The scheduled task, to set its name, retries or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A service is not registered, or the call is outside a request and outside a running background task.</exception>
    [OverloadResolutionPriority(1)]
    public ScheduledTask AddTask<TService1, TService2>(Func<TService1, TService2, CancellationToken, Task> task)
        where TService1 : notnull
        where TService2 : notnull
    {
        ArgumentNullException.ThrowIfNull(task);
        RequireService(typeof(TService1));
        RequireService(typeof(TService2));
        return Add(new DelegateTask<object?>(task, null, static (d, _, services, cancellationToken) => new ValueTask(((Func<TService1, TService2, CancellationToken, Task>)d)(services.GetRequiredService<TService1>(), services.GetRequiredService<TService2>(), cancellationToken))));
    }

    /// <summary>The services it was created with (for extensions such as durable tasks).</summary>
    internal IServiceProvider Services => _services;

    private static ScheduledTask Add(TaskItem item)
    {
        Transaction? transaction = AgentContext.Frame?.Transaction;
        if (transaction is null || !transaction.AddTask(item))
        {
            throw new InvalidOperationException(
                "BackgroundTasks.AddTask can only be called while a request is being handled by app.UseAfterward() " +
                "(before its response completes) or by a running background task (follow-ups). Add app.UseAfterward() to " +
                "the pipeline; elsewhere (a worker, a timer) run the work directly, inside Agent.BackgroundTask(...) to monitor it.");
        }

        return item;
    }

    private void RequireService(Type serviceType)
    {
        if (_services.GetService<IServiceProviderIsService>() is { } isService && !isService.IsService(serviceType))
        {
            throw new InvalidOperationException(
                $"BackgroundTasks.AddTask: no service of type '{serviceType.FullName}' is registered. Register it " +
                "(for example with services.AddScoped) or pass the value as an argument instead.");
        }
    }
}
