using System;
using System.Buffers.Binary;
using System.Threading;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary;

// The entry as the simulated monitor runs it: the domain's code behind a switch (IDomainEntry), reaching the shared
// region and its private memory through views it takes itself on its own core, and the host's server of out-calls
// reading and writing the shared region through the monitor's checked copies.
public abstract partial class BoundaryEntry : IDomainEntry
{
    [ThreadStatic]
    private static SimulatedCore? t_core;

    // Touched only by the one call in flight (the guard in Run).
    private MemoryView _shared;
    private MemoryView _private;
    private ViewCallee? _callee;

    /// <summary>The core running the domain call in progress on this thread (host calls are made through it), or null.</summary>
    internal static SimulatedCore? CurrentCore => t_core;

    /// <inheritdoc/>
    public DomainExit Run(in DomainEntryContext context)
    {
        // An entry that nobody bound (a domain set up by hand) becomes a domain's code on its first run.
        if (Interlocked.CompareExchange(ref _role, DomainRole, Unbound) == HostRole)
        {
            return DomainExit.Return;
        }

        // One call at a time: the frame copy and the scratch are the domain's, for one call.
        if (Interlocked.CompareExchange(ref _inFlight, 1, 0) != 0)
        {
            Interlocked.Increment(ref _entriesRefused);
            return DomainExit.Return;
        }

        try
        {
            RunOne(context.Core);
        }
        finally
        {
            Volatile.Write(ref _inFlight, 0);
        }

        return DomainExit.Return;
    }

    /// <summary>
    /// Serves one call the domain made out to the host: copies the whole region once into the host's own memory,
    /// validates and dispatches from that copy, and writes the copy back. The host trusts nothing the domain wrote either.
    /// Only a [HostCalls] entry bound to its host serves, and only until the host is disposed.
    /// </summary>
    /// <param name="monitor">The monitor (the host's checked access to the shared region).</param>
    /// <exception cref="InvalidOperationException">This is a domain's entry, or the host is gone.</exception>
    internal void ServeHostCall(SimulatedMonitor monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        if (Volatile.Read(ref _role) != HostRole)
        {
            throw new InvalidOperationException("Only a [HostCalls] entry serves host calls; a trust domain's entry runs only inside its domain.");
        }

        if (_retired)
        {
            throw new InvalidOperationException("The host that served these calls was disposed.");
        }

        _hostRegion ??= new byte[_layout.RegionSize];
        _hostScratch ??= new byte[_layout.ScratchSize];
        monitor.HostRead(Region.SharedAddress, _hostRegion);
        if (Serve(_hostRegion, _hostScratch, callee: null) is { } status)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_hostRegion.AsSpan(CallFrame.StatusOffset), (int)status);
        }

        monitor.HostWrite(Region.SharedAddress, _hostRegion);
    }

    /// <summary>One call, inside the domain, with the in-flight guard held.</summary>
    private void RunOne(SimulatedCore core)
    {
        if (_stopReason is not null)
        {
            AnswerStopped(core);
            return;
        }

        if (!_shared.IsCurrent || !_private.IsCurrent)
        {
            try
            {
                _shared = core.GetView(Region.SharedAddress, _layout.RegionSize, MemoryRights.Read | MemoryRights.Write);
            }
            catch (MonitorException)
            {
                return; // no call region: there is nowhere to answer; the host sees Pending or a revocation
            }

            string? reason;
            try
            {
                // The view first, then the check: both under the same mapping, which must not change in between.
                _private = core.GetView(Region.PrivateAddress, _layout.ScratchSize, MemoryRights.Read | MemoryRights.Write);
                reason = PrivateMemoryCheck.Verify(core, Region.PrivateAddress, (ulong)_layout.ScratchSize);
            }
            catch (MonitorException exception)
            {
                reason = $"the private memory at 0x{Region.PrivateAddress:X} cannot be reached ({exception.Error})";
            }

            if (reason is not null)
            {
                _stopReason = "The trust domain stopped serving for good: " + reason + ".";
                _private = default;
                AnswerStopped(core);
                return;
            }

            if (!_private.IsCurrent)
            {
                return; // the mapping changed while it was checked: check again on the next call
            }
        }

        Span<byte> shared;
        Span<byte> scratch;
        try
        {
            shared = _shared.Span;
            scratch = _private.Span;
        }
        catch (MonitorException)
        {
            return; // changed since the check above: nothing is served from memory that was not checked
        }

        SimulatedCore? outer = t_core;
        t_core = core;
        try
        {
            _callee ??= new ViewCallee();
            _callee.Lease = _shared; // the views this call is served from, for this call's EnsureRegionHeld
            if (Serve(shared, scratch, _callee) is { } status && _shared.IsCurrent)
            {
                Interlocked.MemoryBarrier(); // results before status: a caller that sees Ok sees the results
                BinaryPrimitives.WriteInt32LittleEndian(shared[CallFrame.StatusOffset..], (int)status);
            }

            // else: the domain's memory changed during the call; write nothing into memory it may no longer hold
        }
        finally
        {
            t_core = outer;
        }
    }

    /// <summary>Answers <see cref="CallStatus.Stopped"/> without reading the frame, if the call region is still there.</summary>
    private void AnswerStopped(SimulatedCore core)
    {
        Count(CallStatus.Stopped);
        try
        {
            if (!_shared.IsCurrent)
            {
                _shared = core.GetView(Region.SharedAddress, _layout.RegionSize, MemoryRights.Read | MemoryRights.Write);
            }

            Span<byte> shared = _shared.Span;
            BinaryPrimitives.WriteInt32LittleEndian(shared[CallFrame.StatusOffset..], (int)CallStatus.Stopped);
        }
        catch (MonitorException)
        {
            // no call region any more: the caller sees the call unanswered
        }
    }

    /// <summary>A call served through the domain's views is current while the view it began with is.</summary>
    private sealed class ViewCallee : CalleeContext
    {
        public MemoryView Lease { get; set; }

        public override bool IsCurrent => Lease.IsCurrent;
    }
}
