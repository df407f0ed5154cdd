using System;
using System.ComponentModel;
using System.Threading;

namespace TailGuard.Boundary;

/// <summary>
/// The caller's end of a boundary: the region the proxy writes its frame into, the switch to the callee, and the offsets
/// the proxy placed its buffers at (remembered here so that nothing is read back from shared memory to find them). One
/// call at a time: a channel is bound to one core (a
/// domain on several cores has one channel per core, and <see cref="CoreChannels"/> picks a free one per call). The region may be the shared memory itself (a domain's view of it)
/// or the caller's private copy of it (the host's: it holds no span over monitor memory), which <see cref="Switch"/>
/// publishes before the callee runs and refreshes, once, after it answered.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class BoundaryChannel
{
    private int _busy;

    /// <summary>Creates the channel.</summary>
    /// <param name="layout">The contract's layout.</param>
    protected BoundaryChannel(BoundaryLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Layout = layout;
        Offsets = new int[layout.SlotCount];
    }

    /// <summary>The contract's layout.</summary>
    public BoundaryLayout Layout { get; }

    /// <summary>Where the proxy put each buffer, by slot index (slot offset / 8).</summary>
    internal int[] Offsets { get; }

    /// <summary>The region the proxy writes the call into (<see cref="BoundaryLayout.RegionSize"/> bytes).</summary>
    /// <returns>The region.</returns>
    /// <exception cref="BoundaryRevokedException">The region or the callee is gone.</exception>
    protected abstract Span<byte> GetRegion();

    /// <summary>
    /// Runs the callee on the call now in the region and returns when it has answered. A channel over a private copy
    /// publishes the first <paramref name="length"/> bytes to the shared region before the switch and reads them back,
    /// once, after it.
    /// </summary>
    /// <param name="length">How many bytes of the region the call uses (its frame and the buffers the proxy placed).</param>
    /// <exception cref="BoundaryRevokedException">The region or the callee was revoked during the call.</exception>
    protected abstract void Switch(int length);

    /// <summary>
    /// Whether the callee is a trust domain's generated entry, which answers every call unless its region is gone: then
    /// a call left <see cref="CallStatus.Pending"/> means the region was revoked, and <see cref="CallStatus.Stopped"/>
    /// that the domain stopped serving for good (both <see cref="BoundaryRevokedException"/>). From any other callee
    /// both are malformed replies.
    /// </summary>
    protected internal virtual bool SilenceMeansRevoked => false;

    /// <summary>
    /// Claims the channel a call goes through and its region. This channel, bound to one core, claims itself and refuses
    /// a second call while one is in flight; a <see cref="CoreChannels"/> claims one of its cores' channels.
    /// </summary>
    /// <param name="region">The claimed channel's region.</param>
    /// <returns>The claimed channel (release it with <see cref="Release"/>).</returns>
    /// <exception cref="InvalidOperationException">The channel (every channel of the pool) is in a call.</exception>
    internal virtual BoundaryChannel Claim(out Span<byte> region)
    {
        if (!TryClaim(out region))
        {
            throw new InvalidOperationException("A trust-boundary channel runs one call at a time (it is bound to one core of the domain); call from one thread per core, or through the host's Proxy, which picks a free core.");
        }

        return this;
    }

    /// <summary>Claims this channel if no call is in flight on it (no lock: one atomic exchange).</summary>
    internal bool TryClaim(out Span<byte> region)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            region = default;
            return false;
        }

        try
        {
            region = GetRegion();
            return true;
        }
        catch
        {
            Release();
            throw;
        }
    }

    internal void Transition(int length) => Switch(length);

    internal void Release() => Volatile.Write(ref _busy, 0);
}
