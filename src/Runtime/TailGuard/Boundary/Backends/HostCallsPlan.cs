using System;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary;

/// <summary>
/// How a domain's implementation is built around its proxy to the host, and how the host serves those calls: in the
/// host's process (<see cref="Start"/>, the simulated backend), or, when the implementation is named by its type, in
/// the domain's own process (<see cref="ImplementationType"/>, <see cref="HostBindingType"/>, <see cref="CreateHostEntry"/>: the process backend).
/// </summary>
/// <typeparam name="TService">The [TrustDomain] interface.</typeparam>
internal abstract class HostCallsPlan<TService>
    where TService : class
{
    /// <summary>The [HostCalls] contract's layout.</summary>
    public abstract BoundaryLayout Layout { get; }

    /// <summary>The implementation's type, with a public constructor taking the [HostCalls] proxy, when the backend builds it; or null (a factory in the host).</summary>
    public abstract Type? ImplementationType { get; }

    /// <summary>The [HostCalls] contract's generated binding.</summary>
    public abstract Type HostBindingType { get; }

    /// <summary>The host's server of the out-calls: the [HostCalls] entry around the host's implementation, bound to the host.</summary>
    public abstract BoundaryEntry CreateHostEntry();

    /// <summary>
    /// Starts the host's server of the out-calls on the region at <paramref name="address"/> and builds the domain's
    /// implementation around the proxy to it. The channel and the host's entry are returned for the host to retire.
    /// </summary>
    public abstract TService Start(SimulatedMonitor monitor, ulong address, out HostCallChannel channel, out BoundaryEntry hostEntry);
}

/// <summary>The plan for one [HostCalls] contract.</summary>
internal sealed class HostCallsPlan<TService, THostCalls, THostBinding>(
    Func<THostCalls, TService> createImplementation, Type? implementationType, THostCalls hostImplementation, Action<SimulatedMonitor, ulong>? tamper)
    : HostCallsPlan<TService>
    where TService : class
    where THostCalls : class
    where THostBinding : ITrustDomainBinding<THostCalls>
{
    public override BoundaryLayout Layout => THostBinding.Layout;

    public override Type? ImplementationType => implementationType;

    public override Type HostBindingType => typeof(THostBinding);

    public override BoundaryEntry CreateHostEntry()
    {
        BoundaryEntry entry = THostBinding.CreateEntry(hostImplementation, default);
        entry.BindToHost();
        return entry;
    }

    public override TService Start(SimulatedMonitor monitor, ulong address, out HostCallChannel channel, out BoundaryEntry hostEntry)
    {
        BoundaryEntry server = hostEntry = THostBinding.CreateEntry(hostImplementation, new BoundaryRegion(address, Layout.RegionSize, 0, 0));
        server.BindToHost();
        channel = new HostCallChannel(Layout, address, () =>
        {
            server.ServeHostCall(monitor);
            tamper?.Invoke(monitor, address); // tests only: a hostile host rewriting its answers (B9)
        });
        return createImplementation(THostBinding.CreateProxy(channel));
    }
}
