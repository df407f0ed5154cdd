using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Threading;

namespace TailGuard.Boundary;

/// <summary>
/// The host calling one core of a process-isolated domain: the proxy writes into the host's own copy of the region,
/// which is published to that core's shared region before the request is signalled and read back once after the reply;
/// the host then waits for the reply (spinning, then in the kernel) and gives up with
/// <see cref="BoundaryRevokedException"/> as soon as the domain is revoked or its process is gone, so a dead domain
/// never hangs a caller; and a live domain that does not answer within the call timeout is revoked (its process
/// killed), so a silent one does not either. While it waits it serves the domain's out-calls on this core
/// (<see cref="HostCallsAttribute"/>), each from the host's own copy of the out-call region, validated by the host's
/// generated entry exactly as on the simulated backend.
/// </summary>
internal sealed unsafe class ProcessCallChannel : BoundaryChannel
{
    private const long WaitSliceNanoseconds = 20_000_000;

    private readonly SharedMemory _shared;
    private readonly int _lane;
    private readonly ProcessDomain _domain;
    private readonly ProcessHostCalls? _hostCalls;
    private readonly int _spin;
    private readonly TimeSpan _timeout;
    private readonly long _timeoutTicks;
    private readonly byte[] _copy;
    private int _sequence;
    private int _outSeen;
    private int _inCall;
    private long _completed;
    private long _refused;
    private int _lastStatus = (int)CallStatus.Pending;

    public ProcessCallChannel(SharedMemory shared, int lane, ProcessDomain domain, BoundaryLayout layout, ProcessHostCalls? hostCalls, int spin, TimeSpan timeout)
        : base(layout)
    {
        _shared = shared;
        _lane = lane;
        _domain = domain;
        _hostCalls = hostCalls;
        _spin = spin;
        _timeout = timeout;
        _timeoutTicks = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : (long)Math.Min(timeout.TotalSeconds * Stopwatch.Frequency, long.MaxValue / 2);
        _copy = new byte[layout.RegionSize];
        _sequence = 0; // a fresh mapping: the domain counts requests from 0 too
    }

    protected internal override bool SilenceMeansRevoked => true;

    public BoundaryCounters Counters => new(Volatile.Read(ref _completed), Volatile.Read(ref _refused), 0, (CallStatus)Volatile.Read(ref _lastStatus));

    /// <summary>Whether a call is between its publication and its reply (the mapping must outlive it).</summary>
    public bool InCall => Volatile.Read(ref _inCall) != 0;

    /// <summary>Wakes a caller waiting for a reply (the domain died or was revoked).</summary>
    public void WakeCaller() => ProcessNative.FutexWakeShared(&_shared.Control(_lane)->HostBell);

    /// <summary>Signals the request now in the shared region and waits for the reply; false when the domain is gone.</summary>
    public bool Enter()
    {
        Volatile.Write(ref _inCall, 1);
        try
        {
            if (_domain.Gone)
            {
                return false;
            }

            ControlBlock* control = _shared.Control(_lane);

            // Out-calls belong to a call: one the domain published while none was in flight is never served.
            int outRequest = Volatile.Read(ref control->OutRequest);
            if (outRequest != _outSeen)
            {
                _domain.CountUnservedOutCall();
                _outSeen = outRequest;
            }

            int sequence = ++_sequence;
            Volatile.Write(ref control->Request, sequence);
            Interlocked.MemoryBarrier(); // publish, then look whether the domain sleeps: it looks again after announcing it
            if (Volatile.Read(ref control->DomainSleeping) != 0)
            {
                ProcessNative.FutexWakeShared(&control->Request);
            }

            if (!WaitForReply(control, sequence))
            {
                return false;
            }

            // Counted from what the domain wrote (informational: the proxy validates its own copy).
            int status = BinaryPrimitives.ReadInt32LittleEndian(_shared.Region(_lane)[CallFrame.StatusOffset..]);
            Volatile.Write(ref _lastStatus, status);
            ref long counter = ref status == (int)CallStatus.Ok ? ref _completed : ref _refused;
            Volatile.Write(ref counter, counter + 1);
            return true;
        }
        finally
        {
            Volatile.Write(ref _inCall, 0);
        }
    }

    protected override Span<byte> GetRegion()
    {
        if (_domain.Gone)
        {
            throw Revoked();
        }

        return _copy;
    }

    protected override void Switch(int length)
    {
        Span<byte> call = _copy.AsSpan(0, length);
        Span<byte> region = _shared.Region(_lane);
        call.CopyTo(region);
        if (!Enter())
        {
            throw Revoked();
        }

        region[..length].CopyTo(call); // the reply, read once: the proxy validates this copy
    }

    private bool WaitForReply(ControlBlock* control, int sequence)
    {
        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < _spin; i++)
        {
            if (Volatile.Read(ref control->Reply) == sequence)
            {
                return true;
            }

            if (Volatile.Read(ref control->OutRequest) != _outSeen)
            {
                ServeOutCall(control);
                i = 0; // the domain resumes the call: poll for its next move as after a request
                continue;
            }

            if (_domain.Gone)
            {
                return false;
            }

            Thread.SpinWait(1);
        }

        while (true)
        {
            int bell = Volatile.Read(ref control->HostBell);
            Volatile.Write(ref control->HostSleeping, 1);
            Interlocked.MemoryBarrier(); // announce, then look: a reply or out-call published in between rings the bell
            if (Volatile.Read(ref control->Reply) == sequence)
            {
                Volatile.Write(ref control->HostSleeping, 0);
                return true;
            }

            if (_domain.Gone || _domain.CheckExited())
            {
                Volatile.Write(ref control->HostSleeping, 0);
                return false;
            }

            long waited = Stopwatch.GetTimestamp() - started;
            if (waited >= _timeoutTicks)
            {
                // Also the end of a domain that keeps the call going with out-calls: the timeout is the whole call's.
                Volatile.Write(ref control->HostSleeping, 0);
                _domain.RevokeSilent(_timeout);
                return false;
            }

            if (Volatile.Read(ref control->OutRequest) != _outSeen)
            {
                Volatile.Write(ref control->HostSleeping, 0);
                ServeOutCall(control);
                continue;
            }

            long slice = _timeoutTicks == long.MaxValue
                ? WaitSliceNanoseconds
                : Math.Clamp((long)((_timeoutTicks - waited) * (1e9 / Stopwatch.Frequency)), 1_000_000, WaitSliceNanoseconds);
            ProcessNative.FutexWaitShared(&control->HostBell, bell, slice);
            Volatile.Write(ref control->HostSleeping, 0);
        }
    }

    /// <summary>
    /// Serves the out-call the domain published (its number read once): from the host's own copy of the out-call region
    /// when the domain has a [HostCalls] contract, and answers it. A domain without one gets no answer (it made a call
    /// it has no contract for: counted, and its call runs into the timeout).
    /// </summary>
    private void ServeOutCall(ControlBlock* control)
    {
        int outRequest = Volatile.Read(ref control->OutRequest);
        _outSeen = outRequest;
        if (_hostCalls is null)
        {
            _domain.CountUnservedOutCall();
            return;
        }

        _hostCalls.Serve(_shared.OutRegion(_lane));
        Volatile.Write(ref control->OutReply, outRequest); // the answer before the word: the domain reads after it
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref control->DomainSleeping) != 0)
        {
            ProcessNative.FutexWakeShared(&control->OutReply);
        }
    }

    private BoundaryRevokedException Revoked()
        => new("The trust domain was revoked" + (_domain.StopReason is { } reason ? ": " + reason : "; its proxy cannot be called any more."));
}
