using System;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary;

/// <summary>
/// The host calling into a domain. The host holds no span over monitor memory (it could outlive the memory being
/// granted away): the proxy writes each call into the host's own copy of the region, which is published to the shared
/// region with one checked write before the transition and read back with one checked read after it.
/// </summary>
internal sealed class DomainCallChannel : BoundaryChannel
{
    private readonly SimulatedMonitor _monitor;
    private readonly TrustDomain _domain;
    private readonly int _core;
    private readonly ulong _sharedAddress;
    private readonly byte[] _copy;
    private volatile bool _revoked;

    public DomainCallChannel(SimulatedMonitor monitor, TrustDomain domain, int core, ulong sharedAddress, BoundaryLayout layout)
        : base(layout)
    {
        _monitor = monitor;
        _domain = domain;
        _core = core;
        _sharedAddress = sharedAddress;
        _copy = new byte[layout.RegionSize];
    }

    protected internal override bool SilenceMeansRevoked => true;

    public void MarkRevoked() => _revoked = true;

    protected override Span<byte> GetRegion()
    {
        if (_revoked)
        {
            throw new BoundaryRevokedException("The trust domain was revoked; its proxy cannot be called any more.");
        }

        return _copy;
    }

    protected override void Switch(int length)
    {
        Span<byte> call = _copy.AsSpan(0, length);
        try
        {
            _monitor.HostWrite(_sharedAddress, call);
        }
        catch (MonitorException exception)
        {
            throw new BoundaryRevokedException("The shared region is no longer the host's to write: " + exception.Message, exception);
        }

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

        try
        {
            _monitor.HostRead(_sharedAddress, call); // the reply, read once: the proxy validates this copy
        }
        catch (MonitorException exception)
        {
            throw new BoundaryRevokedException("The shared region is no longer the host's to read: " + exception.Message, exception);
        }
    }

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
