using System;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary;

/// <summary>The host calling into a domain: the host's own view of the shared region, and a monitor transition.</summary>
internal sealed class DomainCallChannel : BoundaryChannel
{
    private readonly SimulatedMonitor _monitor;
    private readonly TrustDomain _domain;
    private readonly int _core;
    private readonly ulong _sharedAddress;
    private MemoryView _view;
    private volatile bool _revoked;

    public DomainCallChannel(SimulatedMonitor monitor, TrustDomain domain, int core, ulong sharedAddress, BoundaryLayout layout)
        : base(layout)
    {
        _monitor = monitor;
        _domain = domain;
        _core = core;
        _sharedAddress = sharedAddress;
    }

    public void MarkRevoked() => _revoked = true;

    /// <summary>Whether the domain was revoked: by its host, or by the monitor (asked now).</summary>
    public bool IsRevoked => _revoked || IsGone();

    protected override Span<byte> GetRegion()
    {
        if (_revoked)
        {
            throw new BoundaryRevokedException("The trust domain was revoked; its proxy cannot be called any more.");
        }

        try
        {
            if (!_view.IsCurrent)
            {
                // The host's own mapping changes whenever any domain is set up: take the view again (no allocation).
                _view = _monitor.GetCore(_core).GetView(_sharedAddress, Layout.RegionSize, MemoryRights.Read | MemoryRights.Write);
            }

            return _view.Span;
        }
        catch (MonitorException exception)
        {
            throw new BoundaryRevokedException("The shared region is no longer the host's to write: " + exception.Message, exception);
        }
    }

    protected override void Switch()
    {
        TransitionResult result;
        try
        {
            result = _monitor.Transition(_domain, _core, 0);
        }
        catch (MonitorException exception) when (exception.Error is MonitorError.DomainRevoked or MonitorError.StaleMapping or MonitorError.InvalidSwitch or MonitorError.CapabilityDoesNotExist or MonitorError.InvalidCore || IsGone())
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
            // The host's mapping changed during the call: another domain was set up, or this one's region revoked.
            // Take the view again; the same physical bytes hold the reply if the domain still had its region, and a
            // domain that lost it could not answer (the proxy then sees Pending, reported as a revocation).
            GetRegion();
        }
    }

    protected internal override bool SilenceMeansRevoked => true;

    /// <summary>Whether the domain is gone (any other transition failure racing with a revocation is one).</summary>
    private bool IsGone()
    {
        try
        {
            _ = _monitor.GetMeasurement(_domain);
            return false;
        }
        catch (MonitorException exception) when (exception.Error == MonitorError.DomainRevoked)
        {
            return true;
        }
    }
}
