using System;
using System.Buffers.Binary;
using System.Collections.Generic;
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

    // The domain's cores: each its own call region, private scratch and views, one call in flight on each. Unbound
    // (a domain set up by hand): one lane over Region, whatever core enters.
    private Lane[] _lanes;
    private int[]? _laneByCore;

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

        // One call at a time per core: the frame copy and the scratch are that core's, for one call. A core the entry
        // has no region for (the monitor never runs the domain there) is refused the same way.
        Lane? lane = LaneFor(context.Core.Id);
        if (lane is null || Interlocked.CompareExchange(ref lane.InFlight, 1, 0) != 0)
        {
            Interlocked.Increment(ref _entriesRefused); // observed by BoundaryInstruments
            return DomainExit.Return;
        }

        try
        {
            RunOne(context.Core, lane);
        }
        finally
        {
            Volatile.Write(ref lane.InFlight, 0);
        }

        return DomainExit.Return;
    }

    /// <summary>
    /// Makes this the code of a domain on <paramref name="cores"/>: a call entering on <c>cores[i]</c> is served from
    /// <c>regions[i]</c> (its call region and private scratch), one at a time on each core.
    /// </summary>
    internal void BindToDomain(IReadOnlyList<int> cores, IReadOnlyList<BoundaryRegion> regions)
    {
        BindToDomain();
        var lanes = new Lane[cores.Count];
        int highest = 0;
        foreach (int core in cores)
        {
            highest = Math.Max(highest, core);
        }

        int[] byCore = new int[highest + 1];
        Array.Fill(byCore, -1);
        for (int index = 0; index < lanes.Length; index++)
        {
            lanes[index] = new Lane(regions[index]);
            byCore[cores[index]] = index;
        }

        _lanes = lanes;
        _laneByCore = byCore;
    }

    private Lane? LaneFor(int core)
    {
        int[]? byCore = _laneByCore;
        if (byCore is null)
        {
            return _lanes[0];
        }

        int index = (uint)core < (uint)byCore.Length ? byCore[core] : -1;
        return index < 0 ? null : _lanes[index];
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

    /// <summary>One call, inside the domain, on <paramref name="lane"/> (its core's) with its in-flight guard held.</summary>
    private void RunOne(SimulatedCore core, Lane lane)
    {
        BoundaryRegion region = lane.Region;
        if (_stopReason is not null)
        {
            AnswerStopped(core, lane);
            return;
        }

        if (!lane.Shared.IsCurrent || !lane.Private.IsCurrent)
        {
            try
            {
                lane.Shared = core.GetView(region.SharedAddress, _layout.RegionSize, MemoryRights.Read | MemoryRights.Write);
            }
            catch (MonitorException)
            {
                return; // no call region: there is nowhere to answer; the host sees Pending or a revocation
            }

            string? reason;
            try
            {
                // The view first, then the check: both under the same mapping, which must not change in between.
                lane.Private = core.GetView(region.PrivateAddress, _layout.ScratchSize, MemoryRights.Read | MemoryRights.Write);
                reason = PrivateMemoryCheck.Verify(core, region.PrivateAddress, (ulong)_layout.ScratchSize);
            }
            catch (MonitorException exception)
            {
                reason = $"the private memory at 0x{region.PrivateAddress:X} cannot be reached ({exception.Error})";
            }

            if (reason is not null)
            {
                _stopReason = "The trust domain stopped serving for good: " + reason + ".";
                lane.Private = default;
                AnswerStopped(core, lane);
                return;
            }

            if (!lane.Private.IsCurrent)
            {
                return; // the mapping changed while it was checked: check again on the next call
            }
        }

        Span<byte> shared;
        Span<byte> scratch;
        try
        {
            shared = lane.Shared.Span;
            scratch = lane.Private.Span;
        }
        catch (MonitorException)
        {
            return; // changed since the check above: nothing is served from memory that was not checked
        }

        SimulatedCore? outer = t_core;
        t_core = core;
        try
        {
            lane.Callee ??= new ViewCallee();
            lane.Callee.Lease = lane.Shared; // the views this call is served from, for this call's EnsureRegionHeld
            if (Serve(shared, scratch, lane.Callee) is { } status && lane.Shared.IsCurrent)
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
    private void AnswerStopped(SimulatedCore core, Lane lane)
    {
        Count(CallStatus.Stopped);
        try
        {
            if (!lane.Shared.IsCurrent)
            {
                lane.Shared = core.GetView(lane.Region.SharedAddress, _layout.RegionSize, MemoryRights.Read | MemoryRights.Write);
            }

            Span<byte> shared = lane.Shared.Span;
            BinaryPrimitives.WriteInt32LittleEndian(shared[CallFrame.StatusOffset..], (int)CallStatus.Stopped);
        }
        catch (MonitorException)
        {
            // no call region any more: the caller sees the call unanswered
        }
    }

    /// <summary>One core of the domain: its call region and private scratch, the views onto them, its call in flight.</summary>
    private sealed class Lane(BoundaryRegion region)
    {
        public readonly BoundaryRegion Region = region;
        public int InFlight;

        // Touched only by the one call in flight on this core (the guard in Run).
        public MemoryView Shared;
        public MemoryView Private;
        public ViewCallee? Callee;
    }

    /// <summary>A call served through the domain's views is current while the view it began with is.</summary>
    private sealed class ViewCallee : CalleeContext
    {
        public MemoryView Lease { get; set; }

        public override bool IsCurrent => Lease.IsCurrent;
    }
}
