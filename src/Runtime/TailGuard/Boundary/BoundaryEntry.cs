using System;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary;

/// <summary>
/// The callee side of a generated boundary (the base of every <c>{Name}Entry</c>). For a <see cref="TrustDomainAttribute"/>
/// contract it is the domain's code: on each switch into the domain it copies the frame out of the shared region exactly
/// once into the domain's private memory (its confidential region, reached through views the domain takes itself, so
/// the host cannot read it), lets the generated <see cref="Dispatch"/> validate and call the implementation, and
/// writes the status last. For a <see cref="HostCallsAttribute"/> contract the host serves calls the same way
/// (<see cref="ServeHostCall"/>), from its own copy of the region.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class BoundaryEntry : IDomainEntry
{
    [ThreadStatic]
    private static SimulatedCore? t_core;

    private readonly BoundaryLayout _layout;
    private MemoryView _shared;
    private MemoryView _private;
    private bool _servingHost;
    private byte[]? _hostRegion;
    private byte[]? _hostScratch;

    /// <summary>Creates the entry.</summary>
    /// <param name="layout">The contract's layout.</param>
    /// <param name="region">Where the shared region and the private memory are, in the callee's address space.</param>
    protected BoundaryEntry(BoundaryLayout layout, BoundaryRegion region)
    {
        ArgumentNullException.ThrowIfNull(layout);
        _layout = layout;
        Region = region;
    }

    /// <summary>Where the shared region and the private memory are.</summary>
    public BoundaryRegion Region { get; }

    /// <summary>Calls answered with <see cref="CallStatus.Ok"/>.</summary>
    public long Completed { get; private set; }

    /// <summary>Calls refused or failed (any status but <see cref="CallStatus.Ok"/>).</summary>
    public long Refused { get; private set; }

    /// <summary>The status of the last call.</summary>
    public CallStatus LastStatus { get; private set; }

    /// <summary>The core running the domain call in progress on this thread (host calls are made through it), or null.</summary>
    internal static SimulatedCore? CurrentCore => t_core;

    /// <inheritdoc/>
    public DomainExit Run(in DomainEntryContext context)
    {
        Span<byte> shared;
        Span<byte> scratch;
        try
        {
            if (!_shared.IsCurrent || !_private.IsCurrent)
            {
                _shared = context.Core.GetView(Region.SharedAddress, _layout.RegionSize, MemoryRights.Read | MemoryRights.Write);
                _private = context.Core.GetView(Region.PrivateAddress, _layout.ScratchSize, MemoryRights.Read | MemoryRights.Write);
            }

            shared = _shared.Span;
            scratch = _private.Span;
        }
        catch (MonitorException)
        {
            return DomainExit.Return; // the region is gone: there is nowhere to answer; the host sees Pending or a revocation
        }

        SimulatedCore? outer = t_core;
        t_core = context.Core;
        try
        {
            if (Serve(shared, scratch) is { } status && _shared.IsCurrent)
            {
                Interlocked.MemoryBarrier(); // results before status: a caller that sees Ok sees the results
                BinaryPrimitives.WriteInt32LittleEndian(shared[CallFrame.StatusOffset..], (int)status);
            }

            // else: revoked during the call; write nothing into memory the domain no longer holds
        }
        finally
        {
            t_core = outer;
        }

        return DomainExit.Return;
    }

    /// <summary>
    /// Serves one call the domain made out to the host: copies the whole region once into the host's own memory,
    /// validates and dispatches from that copy, and writes the copy back. The host trusts nothing the domain wrote either.
    /// </summary>
    /// <param name="monitor">The monitor (the host's access to the shared region).</param>
    public void ServeHostCall(SimulatedMonitor monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        _hostRegion ??= new byte[_layout.RegionSize];
        _hostScratch ??= new byte[_layout.ScratchSize];
        monitor.HostRead(Region.SharedAddress, _hostRegion);
        if (ServeCopy(_hostRegion, _hostScratch) is { } status)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_hostRegion.AsSpan(CallFrame.StatusOffset), (int)status);
        }

        monitor.HostWrite(Region.SharedAddress, _hostRegion);
    }

    /// <summary>
    /// Serves one call on a region and scratch given directly, without a monitor (benchmarks use it to measure the
    /// marshalling alone, excluding the simulated switch).
    /// </summary>
    internal void ServeInPlace(Span<byte> shared, Span<byte> scratch)
    {
        if (ServeCopy(shared, scratch) is { } status)
        {
            BinaryPrimitives.WriteInt32LittleEndian(shared[CallFrame.StatusOffset..], (int)status);
        }
    }

    /// <summary>
    /// Serves one call from memory the caller owns (no monitor view to go stale), for that call only: the entry's
    /// revocation check on its shared view must hold again for the next call through the monitor.
    /// </summary>
    private CallStatus? ServeCopy(Span<byte> shared, Span<byte> scratch)
    {
        var wasServingHost = _servingHost;
        _servingHost = true;
        try
        {
            return Serve(shared, scratch);
        }
        finally
        {
            _servingHost = wasServingHost;
        }
    }

    /// <summary>
    /// Generated: validates every argument of the method named by <see cref="EntryCall.MethodId"/>, fences, calls the
    /// implementation and copies the results out.
    /// </summary>
    /// <param name="frame">The call, over the private copy of its frame.</param>
    /// <returns>The status to report.</returns>
    protected abstract CallStatus Dispatch(ref EntryCall frame);

    /// <summary>Generated code calls this after the implementation returns: results go out only while the region is still held.</summary>
    /// <exception cref="BoundaryRevokedException">The region was revoked during the call.</exception>
    protected void EnsureRegionHeld()
    {
        if (!_servingHost && !_shared.IsCurrent)
        {
            throw new BoundaryRevokedException("The shared region was revoked during the call; no result is written.");
        }
    }

    /// <summary>Copies the frame once, dispatches, and returns the status to write (null: revoked, write nothing).</summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "An implementation's exception must not cross the boundary: it becomes a status.")]
    private CallStatus? Serve(Span<byte> shared, Span<byte> scratch)
    {
        Span<byte> frame = scratch[.._layout.FrameSize];
        shared[.._layout.FrameSize].CopyTo(frame); // the one and only read of the frame from shared memory
        var call = new EntryCall(shared, frame, scratch[_layout.FrameSize..]);
        CallStatus status;
        try
        {
            status = Dispatch(ref call);
        }
        catch (BoundaryViolationException violation)
        {
            // Pending is reserved for "never answered": a nested call the other side left unanswered is a malformed reply here.
            status = violation.Status == CallStatus.Pending ? CallStatus.MalformedReply : violation.Status;
        }
        catch (BoundaryRevokedException)
        {
            return null;
        }
        catch (Exception)
        {
            status = CallStatus.ImplementationFault;
        }
        finally
        {
            call.ClearScratch();
        }

        LastStatus = status;
        if (status == CallStatus.Ok)
        {
            Completed++;
        }
        else
        {
            Refused++;
        }

        return status;
    }
}
