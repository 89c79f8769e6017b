using Microsoft.Extensions.DependencyInjection;

namespace Afterward.Tasks;

/// <summary>
/// A batch's DI scope, created when a task first asks for a service: most trivial tasks ask for none, and a scope
/// nobody resolved from is not observable, so they do not pay for one. A scope that was created is disposed after the
/// batch as before; tasks of one batch share it.
/// </summary>
internal sealed class LazyScope(IServiceScopeFactory factory) : IKeyedServiceProvider, IAsyncDisposable
{
    private IServiceScope? _scope;

    public bool Created => Volatile.Read(ref _scope) is not null;

    public object? GetService(Type serviceType) => Provider.GetService(serviceType);

    public object? GetKeyedService(Type serviceType, object? serviceKey) => Keyed.GetKeyedService(serviceType, serviceKey);

    public object GetRequiredKeyedService(Type serviceType, object? serviceKey) => Keyed.GetRequiredKeyedService(serviceType, serviceKey);

    public ValueTask DisposeAsync() => Volatile.Read(ref _scope) is { } scope ? new AsyncServiceScope(scope).DisposeAsync() : default;

    private IServiceProvider Provider
    {
        get
        {
            IServiceScope? scope = Volatile.Read(ref _scope);
            if (scope is null)
            {
                IServiceScope created = factory.CreateScope();
                scope = Interlocked.CompareExchange(ref _scope, created, null) ?? created;
                if (!ReferenceEquals(scope, created))
                {
                    created.Dispose(); // another thread of the same batch won the race
                }
            }

            return scope.ServiceProvider;
        }
    }

    private IKeyedServiceProvider Keyed => Provider as IKeyedServiceProvider
        ?? throw new InvalidOperationException("The application's service provider does not support keyed services.");
}
