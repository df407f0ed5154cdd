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
/// writes the status last. Whenever it (re)takes its view of that private memory it first checks, from the monitor's
/// own account of the domain's capabilities, that the memory is still a carved, exclusive region zeroed on revocation
/// at the address it was given; otherwise it stops serving for good. One call at a time: a second entry while a call is
/// in flight (another core, or a re-entry during an out-call) is refused without touching anything. For a
/// <see cref="HostCallsAttribute"/> contract the host serves calls the same way, from its own copy of the region.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class BoundaryEntry : IDomainEntry
{
    private const int Unbound = 0;
    private const int DomainRole = 1;
    private const int HostRole = 2;

    [ThreadStatic]
    private static SimulatedCore? t_core;

    private readonly BoundaryLayout _layout;

    // Touched only by the one call in flight (the guard below), or by the one host thread serving host calls.
    private MemoryView _shared;
    private MemoryView _private;
    private byte[]? _hostRegion;
    private byte[]? _hostScratch;

    private int _role;
    private int _inFlight;
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
    }

    /// <summary>Where the shared region and the private memory are.</summary>
    public BoundaryRegion Region { get; }

    /// <summary>What the entry has answered so far.</summary>
    internal BoundaryCounters Counters => new(
        Volatile.Read(ref _completed), Volatile.Read(ref _refused), Interlocked.Read(ref _entriesRefused), (CallStatus)Volatile.Read(ref _lastStatus));

    /// <summary>Why the domain stopped serving for good, or null while it serves.</summary>
    internal string? StopReason => _stopReason;

    /// <summary>The core running the domain call in progress on this thread (host calls are made through it), or null.</summary>
    internal static SimulatedCore? CurrentCore => t_core;

    /// <summary>Makes this the domain's code (its <see cref="Run"/> is what a switch into the domain runs); it will never serve host calls.</summary>
    internal void BindToDomain() => Bind(DomainRole);

    /// <summary>Makes this the host's server of a [HostCalls] contract; it will never run as a domain's code.</summary>
    internal void BindToHost() => Bind(HostRole);

    /// <summary>After this, <see cref="ServeHostCall"/> refuses: the host that served the calls is gone.</summary>
    internal void Retire() => _retired = true;

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
        if (Serve(_hostRegion, _hostScratch, lease: null) is { } status)
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
        if (Serve(shared, scratch, lease: null) is { } status)
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
            if (Serve(shared, scratch, _shared) is { } status && _shared.IsCurrent)
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

    /// <summary>Copies the frame once, dispatches, and returns the status to write (null: the memory changed, write nothing).</summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "An implementation's exception must not cross the boundary: it becomes a status.")]
    private CallStatus? Serve(Span<byte> shared, Span<byte> scratch, MemoryView? lease)
    {
        Span<byte> frame = scratch[.._layout.FrameSize];
        shared[.._layout.FrameSize].CopyTo(frame); // the one and only read of the frame from shared memory
        EntryCall call = lease is { } held
            ? new EntryCall(shared, frame, scratch[_layout.FrameSize..], held)
            : new EntryCall(shared, frame, scratch[_layout.FrameSize..]);
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

    /// <summary>One writer at a time (the call in flight, or the one host thread): plain increments, published for the host's reads.</summary>
    private void Count(CallStatus status)
    {
        Volatile.Write(ref _lastStatus, (int)status);
        ref long counter = ref status == CallStatus.Ok ? ref _completed : ref _refused;
        Volatile.Write(ref counter, counter + 1);
    }
}
