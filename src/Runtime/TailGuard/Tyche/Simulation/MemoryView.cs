using System;
using TailGuard.Tyche.Simulation.Engine;

namespace TailGuard.Tyche.Simulation;

/// <summary>
/// A rights-checked window onto a domain's memory, taken by domain code (<see cref="SimulatedCore.GetView"/>) and then
/// used without further lookups; the host takes none (its accesses are checked copies). It records the domain's mapping
/// generation: any later change to the domain's regions (a revocation in particular) makes <see cref="Span"/> throw
/// <see cref="MonitorError.StaleMapping"/>. A span already obtained stays usable for the rest of the domain's run, like
/// a translation the core has not yet dropped: memory the domain loses meanwhile is held in quarantine (nobody who could
/// not reach it before gains it) until the domain's code has left every core, and is zeroed then if its region had
/// CLEANUP, whatever the domain wrote meanwhile. Check <see cref="IsCurrent"/> after using a span to learn whether a
/// revocation raced with the use.
/// </summary>
public readonly struct MemoryView
{
    private readonly SimulatedMonitor? _monitor;
    private readonly DomainState? _domain;
    private readonly int _generation;
    private readonly int _physical;

    internal MemoryView(SimulatedMonitor monitor, DomainState domain, int generation, int physical, int length, ulong address)
    {
        _monitor = monitor;
        _domain = domain;
        _generation = generation;
        _physical = physical;
        Length = length;
        Address = address;
    }

    /// <summary>The address in the domain's address space.</summary>
    public ulong Address { get; }

    /// <summary>The length in bytes.</summary>
    public int Length { get; }

    /// <summary>Whether the domain's mapping is unchanged since the view was taken (and the domain not revoked).</summary>
    public bool IsCurrent => _monitor is not null && SimulatedMonitor.IsCurrent(_domain!, _generation);

    /// <summary>
    /// The bytes; throws <see cref="MonitorException"/>: <see cref="MonitorError.StaleMapping"/> when no longer current,
    /// <see cref="MonitorError.AccessDenied"/> when the calling thread is not running the view's domain.
    /// </summary>
    public Span<byte> Span
    {
        get
        {
            if (!IsCurrent)
            {
                throw new MonitorException(
                    _domain is { Revoked: true } ? MonitorError.DomainRevoked : MonitorError.StaleMapping,
                    "The domain's mapping changed after this view was taken.");
            }

            if (!_monitor!.RunsOnCallingThread(_domain!))
            {
                // Only the domain's own code gets at its memory through a view: anything else keeps no span.
                throw new MonitorException(MonitorError.AccessDenied, "A view's span is taken only by its domain's code, on the core running it.");
            }

            return _monitor.Memory.AsSpan(_physical, Length);
        }
    }
}
