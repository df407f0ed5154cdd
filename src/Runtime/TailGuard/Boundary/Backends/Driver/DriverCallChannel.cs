using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using TailGuard.Tyche;

namespace TailGuard.Boundary;

/// <summary>
/// The host calling into a driver domain on one core: the proxy writes into the host's own copy of the region, which is
/// published into the shared segment with one write; TRANSITION runs the domain on the core (the calling thread is
/// pinned to that CPU for it) until its entry loop switches back; the answer is read back once. An interrupt or timer
/// exit re-enters the domain, which resumes where it was, until <see cref="DriverBackend.CallTimeout"/>; a fault stops
/// the domain for good (its core is left at the faulting instruction).
/// </summary>
internal sealed class DriverCallChannel : BoundaryChannel
{
    private readonly DriverDomain _domain;
    private readonly int _core;
    private readonly ulong _sharedAddress;
    private readonly TimeSpan _timeout;
    private readonly byte[] _copy;
    private long _completed;
    private long _refused;
    private int _lastStatus;

    public DriverCallChannel(DriverDomain domain, int core, ulong sharedAddress, BoundaryLayout layout, TimeSpan timeout)
        : base(layout)
    {
        _domain = domain;
        _core = core;
        _sharedAddress = sharedAddress;
        _timeout = timeout;
        _copy = new byte[layout.RegionSize];
    }

    protected internal override bool SilenceMeansRevoked => true;

    public BoundaryCounters Counters => new(Volatile.Read(ref _completed), Volatile.Read(ref _refused), 0, (CallStatus)Volatile.Read(ref _lastStatus));

    /// <summary>Writes the shared region directly (what any code of the host can do).</summary>
    public void HostWrite(int offset, ReadOnlySpan<byte> bytes)
    {
        Hold();
        try
        {
            _domain.Monitor.HostWrite(_sharedAddress + (ulong)offset, bytes);
        }
        catch (MonitorException exception)
        {
            throw new BoundaryRevokedException("The shared region is no longer the host's to write: " + exception.Message, exception);
        }
        finally
        {
            _domain.ReleaseMapping();
        }
    }

    public void HostRead(int offset, Span<byte> bytes)
    {
        Hold();
        try
        {
            _domain.Monitor.HostRead(_sharedAddress + (ulong)offset, bytes);
        }
        catch (MonitorException exception)
        {
            throw new BoundaryRevokedException("The shared region is no longer the host's to read: " + exception.Message, exception);
        }
        finally
        {
            _domain.ReleaseMapping();
        }
    }

    /// <summary>Runs the domain on this core on whatever the region holds; false when it did not answer (stopped or revoked).</summary>
    public bool Enter()
    {
        try
        {
            Run();
            Span<byte> status = stackalloc byte[sizeof(int)];
            HostRead(CallFrame.StatusOffset, status);
            Count(BinaryPrimitives.ReadInt32LittleEndian(status));
            return true;
        }
        catch (Exception exception) when (exception is BoundaryRevokedException or BoundaryViolationException)
        {
            return false;
        }
    }

    protected override Span<byte> GetRegion()
    {
        ThrowIfGone();
        return _copy;
    }

    protected override void Switch(int length)
    {
        Span<byte> copy = _copy.AsSpan(0, length);
        HostWrite(0, copy);
        Run();
        HostRead(0, copy); // the reply, read once: the proxy validates this copy

        Count(BinaryPrimitives.ReadInt32LittleEndian(_copy.AsSpan(CallFrame.StatusOffset)));
    }

    /// <summary>Counts an answer from the status the domain wrote (informational: the proxy validates its own copy).</summary>
    private void Count(int status)
    {
        Volatile.Write(ref _lastStatus, status);
        Interlocked.Increment(ref status == (int)CallStatus.Ok ? ref _completed : ref _refused);
    }

    /// <summary>TRANSITION until the entry loop switches back; re-enters after interrupts and timer exits, within the timeout.</summary>
    private void Run()
    {
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            ThrowIfGone();
            TransitionResult result = default;
            string? failure = null;
            Hold();
            try
            {
                result = _domain.Monitor.Transition(_domain.Handle, _core, 0);
            }
            catch (MonitorException exception)
            {
                failure = exception.Error == MonitorError.DomainRevoked
                    ? "The trust domain was revoked by the monitor: " + exception.Message
                    : "The trust domain could not be entered: " + exception.Message;
            }
            finally
            {
                _domain.ReleaseMapping();
            }

            if (failure is not null)
            {
                _domain.Stop(failure);
                _domain.Revoke();
                throw new BoundaryRevokedException(failure);
            }

            if (result.Status == MonitorStatus.Success)
            {
                return;
            }

            if (result.Reason is ExitReason.Interrupt or ExitReason.Timer)
            {
                if (Stopwatch.GetElapsedTime(started) < _timeout)
                {
                    continue; // preempted: the domain resumes where it was
                }

                string late = string.Create(CultureInfo.InvariantCulture, $"The trust domain did not answer a call on core {_core} within {_timeout.TotalMilliseconds:0} ms (DriverBackend.CallTimeout): it was revoked.");
                _domain.Stop(late);
                _domain.Revoke();
                throw new BoundaryRevokedException(late);
            }

            string fault = $"The trust domain faulted ({result.Reason}) on core {_core} instead of answering: it was stopped, since its core would resume at the fault.";
            _domain.Stop(fault);
            _domain.Revoke();
            throw new BoundaryViolationException(CallStatus.ImplementationFault, fault);
        }
    }

    /// <summary>Holds the mapping for one step of a call (release it with <see cref="DriverDomain.ReleaseMapping"/>); a revoked domain fails the call.</summary>
    private void Hold()
    {
        if (!_domain.TryHoldMapping())
        {
            throw new BoundaryRevokedException(_domain.StopReason ?? "The trust domain was revoked; its proxy cannot be called any more.");
        }
    }

    private void ThrowIfGone()
    {
        if (_domain.Gone)
        {
            throw new BoundaryRevokedException(_domain.StopReason ?? "The trust domain was revoked; its proxy cannot be called any more.");
        }
    }
}
