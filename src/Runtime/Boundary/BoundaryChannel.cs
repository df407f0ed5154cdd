using System;
using System.ComponentModel;
using System.Threading;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary;

/// <summary>
/// The host's end of a boundary: its own view of the shared region, the transition into the domain, and the offsets
/// the proxy placed its buffers at (remembered here so that nothing is read back from shared memory to find them).
/// One call at a time: a proxy is bound to one core.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class BoundaryChannel
{
    private readonly SimulatedMonitor _monitor;
    private readonly TrustDomain _domain;
    private readonly int _core;
    private readonly ulong _sharedAddress;
    private MemoryView _view;
    private int _busy;
    private bool _revoked;

    internal BoundaryChannel(SimulatedMonitor monitor, TrustDomain domain, int core, ulong sharedAddress, BoundaryLayout layout)
    {
        _monitor = monitor;
        _domain = domain;
        _core = core;
        _sharedAddress = sharedAddress;
        Layout = layout;
        Offsets = new int[layout.SlotCount];
    }

    /// <summary>The contract's layout.</summary>
    public BoundaryLayout Layout { get; }

    /// <summary>Where the proxy put each buffer, by slot index (slot offset / 8).</summary>
    internal int[] Offsets { get; }

    internal void MarkRevoked() => _revoked = true;

    /// <summary>Starts a call: claims the channel and returns the host's view of the shared region.</summary>
    internal Span<byte> Acquire()
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("A trust-domain proxy runs one call at a time (it is bound to one core); use one host per calling thread.");
        }

        try
        {
            if (_revoked)
            {
                throw new BoundaryRevokedException("The trust domain was revoked; its proxy cannot be called any more.");
            }

            if (!_view.IsCurrent)
            {
                // The host's own mapping changes whenever any domain is set up: take the view again (no allocation).
                _view = _monitor.GetCore(_core).GetView(_sharedAddress, Layout.RegionSize, MemoryRights.Read | MemoryRights.Write);
            }

            return _view.Span;
        }
        catch (MonitorException exception)
        {
            Release();
            throw new BoundaryRevokedException("The shared region is no longer the host's to write: " + exception.Message, exception);
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <summary>Switches into the domain on the channel's core and back.</summary>
    internal void Transition()
    {
        TransitionResult result;
        try
        {
            result = _monitor.Transition(_domain, _core, 0);
        }
        catch (MonitorException exception) when (exception.Error is MonitorError.DomainRevoked or MonitorError.StaleMapping or MonitorError.InvalidSwitch or MonitorError.CapabilityDoesNotExist)
        {
            _revoked = true;
            throw new BoundaryRevokedException("The trust domain was revoked during the call: " + exception.Message, exception);
        }

        if (result.Status != MonitorStatus.Success)
        {
            throw new BoundaryViolationException(CallStatus.ImplementationFault, "The trust domain trapped (vector " + result.TrapVector + ") instead of answering.");
        }

        if (!_view.IsCurrent)
        {
            _revoked = true;
            throw new BoundaryRevokedException("The shared region changed hands during the call; its contents are not used.");
        }
    }

    internal void Release() => Volatile.Write(ref _busy, 0);
}
