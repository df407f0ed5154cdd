using System;
using System.Threading;

namespace TailGuard.Boundary;

/// <summary>
/// A process-isolated domain calling out to its host (<see cref="HostCallsAttribute"/>), in the domain process: the
/// domain's [HostCalls] proxy writes into the domain's own copy of the out-call region, which is published to the
/// shared out-call region before the out-call is signalled and read back once after the host answered; the domain's
/// proxy validates that copy (a lying host gets <see cref="CallStatus.MalformedReply"/>, as on every backend). Only
/// while the domain serves a call: the host serves out-calls on the thread waiting for that call's reply.
/// </summary>
internal sealed unsafe class DomainOutCallChannel : BoundaryChannel
{
    private readonly SharedMemory _shared;
    private readonly int _lane;
    private readonly int _spin;
    private readonly byte[] _copy;
    private int _sequence;
    private volatile bool _inCall;

    public DomainOutCallChannel(SharedMemory shared, int lane, BoundaryLayout layout, int spin)
        : base(layout)
    {
        _shared = shared;
        _lane = lane;
        _spin = spin;
        _copy = new byte[layout.RegionSize];
    }

    /// <summary>The domain serves a call from now on (out-calls may be made).</summary>
    public void BeginCall() => _inCall = true;

    /// <summary>The call is answered: no out-call until the next one.</summary>
    public void EndCall() => _inCall = false;

    protected override Span<byte> GetRegion()
    {
        if (!_inCall)
        {
            throw new InvalidOperationException("Host calls can be made only by the domain while it serves a call.");
        }

        if (Volatile.Read(ref _shared.Control(_lane)->Stop) != 0)
        {
            throw new BoundaryRevokedException("The host revoked the domain.");
        }

        return _copy;
    }

    protected override void Switch(int length)
    {
        ControlBlock* control = _shared.Control(_lane);
        Span<byte> region = _shared.OutRegion(_lane);
        _copy.AsSpan(0, length).CopyTo(region);
        int sequence = ++_sequence;
        Volatile.Write(ref control->OutRequest, sequence);
        Interlocked.Increment(ref control->HostBell); // a full fence: the bell after the out-call, then look whether the host sleeps
        if (Volatile.Read(ref control->HostSleeping) != 0)
        {
            ProcessNative.FutexWakeShared(&control->HostBell);
        }

        WaitForAnswer(control, sequence);
        region[..length].CopyTo(_copy.AsSpan(0, length)); // the answer, read once: the proxy validates this copy
    }

    /// <summary>Spins on the out-reply word, then sleeps on it; a revocation (Stop) ends the wait with <see cref="BoundaryRevokedException"/>.</summary>
    private void WaitForAnswer(ControlBlock* control, int sequence)
    {
        for (int i = 0; i < _spin; i++)
        {
            if (Volatile.Read(ref control->OutReply) == sequence)
            {
                return;
            }

            if (Volatile.Read(ref control->Stop) != 0)
            {
                throw new BoundaryRevokedException("The host revoked the domain during its out-call.");
            }

            Thread.SpinWait(1);
        }

        while (true)
        {
            Volatile.Write(ref control->DomainSleeping, 1);
            Interlocked.MemoryBarrier(); // announce, then look again: an answer published in between is not missed
            int reply = Volatile.Read(ref control->OutReply);
            if (reply == sequence || Volatile.Read(ref control->Stop) != 0)
            {
                Volatile.Write(ref control->DomainSleeping, 0);
                if (reply == sequence)
                {
                    return;
                }

                throw new BoundaryRevokedException("The host revoked the domain during its out-call.");
            }

            ProcessNative.FutexWaitShared(&control->OutReply, reply, 1_000_000_000);
            Volatile.Write(ref control->DomainSleeping, 0);
        }
    }
}
