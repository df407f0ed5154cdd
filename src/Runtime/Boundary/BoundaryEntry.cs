using System;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary;

/// <summary>
/// The domain side of a generated boundary (the base of every <c>{Name}Entry</c>). On each switch into the domain it
/// copies the frame out of the shared region exactly once into the domain's private memory, lets the generated
/// <see cref="Dispatch"/> validate and call the implementation, and writes the status last. The private memory is the
/// domain's confidential region, reached through views the domain takes itself, so the host cannot read it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class BoundaryEntry : IDomainEntry
{
    private readonly BoundaryLayout _layout;
    private MemoryView _shared;
    private MemoryView _private;

    /// <summary>Creates the entry.</summary>
    /// <param name="layout">The contract's layout.</param>
    /// <param name="region">Where the shared region and the private memory are, in the domain's address space.</param>
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

    /// <inheritdoc/>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "An implementation's exception must not cross the boundary: it becomes a status.")]
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
            status = violation.Status;
        }
        catch (BoundaryRevokedException)
        {
            return DomainExit.Return;
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

        if (!_shared.IsCurrent)
        {
            return DomainExit.Return; // revoked during the call: write nothing into memory the domain no longer holds
        }

        Interlocked.MemoryBarrier(); // results before status: a caller that sees Ok sees the results
        BinaryPrimitives.WriteInt32LittleEndian(shared[CallFrame.StatusOffset..], (int)status);
        return DomainExit.Return;
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
        if (!_shared.IsCurrent)
        {
            throw new BoundaryRevokedException("The shared region was revoked during the call; no result is written.");
        }
    }
}
