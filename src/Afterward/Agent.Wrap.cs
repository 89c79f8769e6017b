using System.Runtime.CompilerServices;
using Afterward.Transactions;

namespace Afterward;

// The wrapper form: WrapBackgroundTask returns a delegate of the same type that runs as a background task.
// Task-returning overloads take priority, so that an async lambda is wrapped as a Task (timed until it completes),
// never as an async-void Action or an ambiguous ValueTask.
public static partial class Agent
{
    /// <summary>Wraps a synchronous action (0 arguments) so that every call runs as a background task.</summary>
    /// <param name="task">The delegate to wrap.</param>
    /// <param name="application">The application to report under; null → the method's <c>[BackgroundTask(Application)]</c>, else the default.</param>
    /// <param name="name">The transaction name; null → the method's <c>[BackgroundTask(Name)]</c>, else its readable name (<see cref="CallableName"/>).</param>
    /// <param name="group">The group; null → the method's <c>[BackgroundTask(Group)]</c>, else <c>Function</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <remarks>
    /// Each call follows the nesting rules of <see cref="BackgroundTask"/>. An exception escaping the delegate is
    /// recorded on the transaction and rethrown.
    /// </remarks>
    public static Action WrapBackgroundTask(Action task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return () => RunAction(identity, () => task());
    }

    /// <summary>Wraps a synchronous action (1 argument) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Action<T1> WrapBackgroundTask<T1>(Action<T1> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return a1 => RunAction(identity, () => task(a1));
    }

    /// <summary>Wraps a synchronous action (2 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Action<T1, T2> WrapBackgroundTask<T1, T2>(Action<T1, T2> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2) => RunAction(identity, () => task(a1, a2));
    }

    /// <summary>Wraps a synchronous action (3 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Action<T1, T2, T3> WrapBackgroundTask<T1, T2, T3>(Action<T1, T2, T3> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2, a3) => RunAction(identity, () => task(a1, a2, a3));
    }

    /// <summary>Wraps a synchronous action (4 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Action<T1, T2, T3, T4> WrapBackgroundTask<T1, T2, T3, T4>(Action<T1, T2, T3, T4> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2, a3, a4) => RunAction(identity, () => task(a1, a2, a3, a4));
    }

    /// <summary>Wraps a synchronous function (0 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Func<TResult> WrapBackgroundTask<TResult>(Func<TResult> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return () => RunFunc<TResult>(identity, () => task());
    }

    /// <summary>Wraps a synchronous function (1 argument) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Func<T1, TResult> WrapBackgroundTask<T1, TResult>(Func<T1, TResult> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return a1 => RunFunc<TResult>(identity, () => task(a1));
    }

    /// <summary>Wraps a synchronous function (2 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Func<T1, T2, TResult> WrapBackgroundTask<T1, T2, TResult>(Func<T1, T2, TResult> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2) => RunFunc<TResult>(identity, () => task(a1, a2));
    }

    /// <summary>Wraps a synchronous function (3 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Func<T1, T2, T3, TResult> WrapBackgroundTask<T1, T2, T3, TResult>(Func<T1, T2, T3, TResult> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2, a3) => RunFunc<TResult>(identity, () => task(a1, a2, a3));
    }

    /// <summary>Wraps a synchronous function (4 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Func<T1, T2, T3, T4, TResult> WrapBackgroundTask<T1, T2, T3, T4, TResult>(Func<T1, T2, T3, T4, TResult> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2, a3, a4) => RunFunc<TResult>(identity, () => task(a1, a2, a3, a4));
    }

    /// <summary>Wraps a Task-returning function, timed until the task completes (0 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    [OverloadResolutionPriority(1)]
    public static Func<Task> WrapBackgroundTask(Func<Task> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return () => RunTask(identity, () => task());
    }

    /// <summary>Wraps a Task-returning function, timed until the task completes (1 argument) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    [OverloadResolutionPriority(1)]
    public static Func<T1, Task> WrapBackgroundTask<T1>(Func<T1, Task> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return a1 => RunTask(identity, () => task(a1));
    }

    /// <summary>Wraps a Task-returning function, timed until the task completes (2 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    [OverloadResolutionPriority(1)]
    public static Func<T1, T2, Task> WrapBackgroundTask<T1, T2>(Func<T1, T2, Task> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2) => RunTask(identity, () => task(a1, a2));
    }

    /// <summary>Wraps a Task-returning function, timed until the task completes (3 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    [OverloadResolutionPriority(1)]
    public static Func<T1, T2, T3, Task> WrapBackgroundTask<T1, T2, T3>(Func<T1, T2, T3, Task> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2, a3) => RunTask(identity, () => task(a1, a2, a3));
    }

    /// <summary>Wraps a Task-returning function, timed until the task completes (4 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    [OverloadResolutionPriority(1)]
    public static Func<T1, T2, T3, T4, Task> WrapBackgroundTask<T1, T2, T3, T4>(Func<T1, T2, T3, T4, Task> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2, a3, a4) => RunTask(identity, () => task(a1, a2, a3, a4));
    }

    /// <summary>Wraps a Task-returning function, timed until the task completes (0 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    [OverloadResolutionPriority(1)]
    public static Func<Task<TResult>> WrapBackgroundTask<TResult>(Func<Task<TResult>> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return () => RunTaskOf<TResult>(identity, () => task());
    }

    /// <summary>Wraps a Task-returning function, timed until the task completes (1 argument) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    [OverloadResolutionPriority(1)]
    public static Func<T1, Task<TResult>> WrapBackgroundTask<T1, TResult>(Func<T1, Task<TResult>> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return a1 => RunTaskOf<TResult>(identity, () => task(a1));
    }

    /// <summary>Wraps a Task-returning function, timed until the task completes (2 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    [OverloadResolutionPriority(1)]
    public static Func<T1, T2, Task<TResult>> WrapBackgroundTask<T1, T2, TResult>(Func<T1, T2, Task<TResult>> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2) => RunTaskOf<TResult>(identity, () => task(a1, a2));
    }

    /// <summary>Wraps a Task-returning function, timed until the task completes (3 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    [OverloadResolutionPriority(1)]
    public static Func<T1, T2, T3, Task<TResult>> WrapBackgroundTask<T1, T2, T3, TResult>(Func<T1, T2, T3, Task<TResult>> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2, a3) => RunTaskOf<TResult>(identity, () => task(a1, a2, a3));
    }

    /// <summary>Wraps a Task-returning function, timed until the task completes (4 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    [OverloadResolutionPriority(1)]
    public static Func<T1, T2, T3, T4, Task<TResult>> WrapBackgroundTask<T1, T2, T3, T4, TResult>(Func<T1, T2, T3, T4, Task<TResult>> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2, a3, a4) => RunTaskOf<TResult>(identity, () => task(a1, a2, a3, a4));
    }

    /// <summary>Wraps a ValueTask-returning function, timed until it completes (0 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Func<ValueTask> WrapBackgroundTask(Func<ValueTask> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return () => RunValueTask(identity, () => task());
    }

    /// <summary>Wraps a ValueTask-returning function, timed until it completes (1 argument) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Func<T1, ValueTask> WrapBackgroundTask<T1>(Func<T1, ValueTask> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return a1 => RunValueTask(identity, () => task(a1));
    }

    /// <summary>Wraps a ValueTask-returning function, timed until it completes (2 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Func<T1, T2, ValueTask> WrapBackgroundTask<T1, T2>(Func<T1, T2, ValueTask> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2) => RunValueTask(identity, () => task(a1, a2));
    }

    /// <summary>Wraps a ValueTask-returning function, timed until it completes (3 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Func<T1, T2, T3, ValueTask> WrapBackgroundTask<T1, T2, T3>(Func<T1, T2, T3, ValueTask> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2, a3) => RunValueTask(identity, () => task(a1, a2, a3));
    }

    /// <summary>Wraps a ValueTask-returning function, timed until it completes (4 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Func<T1, T2, T3, T4, ValueTask> WrapBackgroundTask<T1, T2, T3, T4>(Func<T1, T2, T3, T4, ValueTask> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2, a3, a4) => RunValueTask(identity, () => task(a1, a2, a3, a4));
    }

    /// <summary>Wraps a ValueTask-returning function, timed until it completes (0 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Func<ValueTask<TResult>> WrapBackgroundTask<TResult>(Func<ValueTask<TResult>> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return () => RunValueTaskOf<TResult>(identity, () => task());
    }

    /// <summary>Wraps a ValueTask-returning function, timed until it completes (1 argument) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Func<T1, ValueTask<TResult>> WrapBackgroundTask<T1, TResult>(Func<T1, ValueTask<TResult>> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return a1 => RunValueTaskOf<TResult>(identity, () => task(a1));
    }

    /// <summary>Wraps a ValueTask-returning function, timed until it completes (2 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Func<T1, T2, ValueTask<TResult>> WrapBackgroundTask<T1, T2, TResult>(Func<T1, T2, ValueTask<TResult>> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2) => RunValueTaskOf<TResult>(identity, () => task(a1, a2));
    }

    /// <summary>Wraps a ValueTask-returning function, timed until it completes (3 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Func<T1, T2, T3, ValueTask<TResult>> WrapBackgroundTask<T1, T2, T3, TResult>(Func<T1, T2, T3, ValueTask<TResult>> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2, a3) => RunValueTaskOf<TResult>(identity, () => task(a1, a2, a3));
    }

    /// <summary>Wraps a ValueTask-returning function, timed until it completes (4 arguments) so that every call runs as a background task.</summary>
    /// <inheritdoc cref="WrapBackgroundTask(Action, Application?, string?, string?)" path="/param|/exception|/remarks"/>
    public static Func<T1, T2, T3, T4, ValueTask<TResult>> WrapBackgroundTask<T1, T2, T3, T4, TResult>(Func<T1, T2, T3, T4, ValueTask<TResult>> task, Application? application = null, string? name = null, string? group = null)
    {
        TaskIdentity identity = TaskIdentity.Resolve(task, application, name, group);
        return (a1, a2, a3, a4) => RunValueTaskOf<TResult>(identity, () => task(a1, a2, a3, a4));
    }

    internal static void RunAction(TaskIdentity identity, Action body)
    {
        TransactionScope scope = identity.Begin();
        try
        {
            body();
        }
        catch (Exception ex)
        {
            scope.Fail(ex);
            throw;
        }
        finally
        {
            scope.Dispose();
        }
    }

    internal static TResult RunFunc<TResult>(TaskIdentity identity, Func<TResult> body)
    {
        TransactionScope scope = identity.Begin();
        try
        {
            return body();
        }
        catch (Exception ex)
        {
            scope.Fail(ex);
            throw;
        }
        finally
        {
            scope.Dispose();
        }
    }

    internal static async Task RunTask(TaskIdentity identity, Func<Task> body)
    {
        TransactionScope scope = identity.Begin();
        try
        {
            await body().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            scope.Fail(ex);
            throw;
        }
        finally
        {
            scope.Dispose();
        }
    }

    internal static async Task<TResult> RunTaskOf<TResult>(TaskIdentity identity, Func<Task<TResult>> body)
    {
        TransactionScope scope = identity.Begin();
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            scope.Fail(ex);
            throw;
        }
        finally
        {
            scope.Dispose();
        }
    }

    internal static async ValueTask RunValueTask(TaskIdentity identity, Func<ValueTask> body)
    {
        TransactionScope scope = identity.Begin();
        try
        {
            await body().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            scope.Fail(ex);
            throw;
        }
        finally
        {
            scope.Dispose();
        }
    }

    internal static async ValueTask<TResult> RunValueTaskOf<TResult>(TaskIdentity identity, Func<ValueTask<TResult>> body)
    {
        TransactionScope scope = identity.Begin();
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            scope.Fail(ex);
            throw;
        }
        finally
        {
            scope.Dispose();
        }
    }
}
