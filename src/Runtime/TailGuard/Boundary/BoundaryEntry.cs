using System;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Threading;



namespace TailGuard.Boundary;

/// <summary>
/// The callee side of a generated boundary (the base of every <c>{Name}Entry</c>). For a <see cref="TrustDomainAttribute"/>
/// contract it is the domain's code: on each switch into the domain it copies the frame out of the shared region exactly
/// once into the domain's private memory (its confidential region, reached through views the domain takes itself, so
/// the host cannot read it), lets the generated <see cref="Dispatch"/> validate and call the implementation, and
/// writes the status last. Whenever it (re)takes its view of that private memory it first checks, from the monitor's
/// own account of the domain's capabilities, that the memory is still a carved, exclusive region zeroed on revocation
/// at the address it was given; otherwise it stops serving for good. One call at a time per core: each core of the domain
/// has its own call region and scratch, and a second entry on a core while a call is in flight there (a re-entry during
/// an out-call) is refused without touching anything. For a
/// <see cref="HostCallsAttribute"/> contract the host serves calls the same way, from its own copy of the region.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract partial class BoundaryEntry
{
    private const int Unbound = 0;
    private const int DomainRole = 1;
    private const int HostRole = 2;

    private readonly BoundaryLayout _layout;

    // Touched only by the one host thread serving host calls.
    private byte[]? _hostRegion;
    private byte[]? _hostScratch;

    private int _role;
    private volatile string? _stopReason;
    private volatile bool _retired;
    private long _completed;
    private long _refused;
    private long _entriesRefused;
    private int _lastStatus = (int)CallStatus.Pending;

    /// <summary>Creates the entry.</summary>
    /// <param name="layout">The contract's layout.</param>
    /// <param name="region">Where the shared region and the private memory are, in the callee's address space.</param>
    protected BoundaryEntry(BoundaryLayout layout, BoundaryRegion region)
    {
        ArgumentNullException.ThrowIfNull(layout);
        _layout = layout;
        Region = region;
        _lanes = [new Lane(region)];
    }

    /// <summary>Where the shared region and the private memory are.</summary>
    public BoundaryRegion Region { get; }

    /// <summary>Bytes of private memory a call needs (its frame copy and scratch).</summary>
    internal int ScratchSize => _layout.ScratchSize;

    /// <summary>What the entry has answered so far.</summary>
    internal BoundaryCounters Counters => new(
        Volatile.Read(ref _completed), Volatile.Read(ref _refused), Interlocked.Read(ref _entriesRefused), (CallStatus)Volatile.Read(ref _lastStatus));

    /// <summary>Why the domain stopped serving for good, or null while it serves.</summary>
    internal string? StopReason => _stopReason;

    /// <summary>Makes this the domain's code (its <see cref="Run"/> is what a switch into the domain runs); it will never serve host calls.</summary>
    internal void BindToDomain() => Bind(DomainRole);

    /// <summary>Makes this the host's server of a [HostCalls] contract; it will never run as a domain's code.</summary>
    internal void BindToHost() => Bind(HostRole);

    /// <summary>After this, <see cref="ServeHostCall"/> refuses: the host that served the calls is gone.</summary>
    internal void Retire() => _retired = true;

    /// <summary>
    /// Serves one call on a region and scratch given directly, without a monitor (benchmarks use it to measure the
    /// marshalling alone, excluding the simulated switch).
    /// </summary>
    internal void ServeInPlace(Span<byte> shared, Span<byte> scratch)
    {
        if (Serve(shared, scratch, callee: null) is { } status)
        {
            BinaryPrimitives.WriteInt32LittleEndian(shared[CallFrame.StatusOffset..], (int)status);
        }
    }

    /// <summary>
    /// Generated: validates every argument of the method named by <see cref="EntryCall.MethodId"/>, fences, calls the
    /// implementation and copies the results out (after <see cref="EntryCall.EnsureRegionHeld"/>).
    /// </summary>
    /// <param name="frame">The call, over the private copy of its frame.</param>
    /// <returns>The status to report.</returns>
    protected abstract CallStatus Dispatch(ref EntryCall frame);

    private void Bind(int role)
    {
        int was = Interlocked.CompareExchange(ref _role, role, Unbound);
        if (was != Unbound && was != role)
        {
            throw new InvalidOperationException("A boundary entry serves one side only: a domain's calls or the host's.");
        }
    }

    /// <summary>Copies the frame once, dispatches, and returns the status to write (null: the memory changed, write nothing).</summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "An implementation's exception must not cross the boundary: it becomes a status.")]
    private CallStatus? Serve(Span<byte> shared, Span<byte> scratch, CalleeContext? callee)
    {
        Span<byte> frame = scratch[.._layout.FrameSize];
        shared[.._layout.FrameSize].CopyTo(frame); // the one and only read of the frame from shared memory
        EntryCall call = callee is null
            ? new EntryCall(shared, frame, scratch[_layout.FrameSize..])
            : new EntryCall(shared, frame, scratch[_layout.FrameSize..], callee);
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

        Count(status);
        return status;
    }

    /// <summary>One writer per core of the domain (its call in flight), or the one host thread: atomic increments.</summary>
    private void Count(CallStatus status)
    {
        Volatile.Write(ref _lastStatus, (int)status);
        Interlocked.Increment(ref status == CallStatus.Ok ? ref _completed : ref _refused); // observed by BoundaryInstruments
    }
}
