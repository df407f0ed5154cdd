using System;
using System.Collections.Generic;
using System.Threading;

namespace TailGuard.Boundary;

/// <summary>
/// The host's end of a domain on several cores: one <see cref="BoundaryChannel"/> per core, each with its own call
/// region, frame and private scratch in the domain, so concurrent callers never share a frame. A call claims a free core's
/// channel with one atomic exchange per try (no lock): first the one the calling thread used last, so a long-lived
/// thread (an R2P2 receive loop) keeps its core, then the others in turn. When every core is in a call the call is
/// refused with <see cref="InvalidOperationException"/>: a domain never queues callers behind each other.
/// </summary>
internal sealed class CoreChannels : BoundaryChannel
{
    // The core index (plus one; 0: none yet) this thread last called through, whatever the domain: only a hint.
    [ThreadStatic]
    private static int t_last;

    private readonly BoundaryChannel[] _channels;

    /// <summary>Pools <paramref name="channels"/> (one per core of the domain, at least two).</summary>
    public CoreChannels(IReadOnlyList<BoundaryChannel> channels)
        : base(channels[0].Layout)
    {
        _channels = [.. channels];
    }

    protected internal override bool SilenceMeansRevoked => _channels[0].SilenceMeansRevoked;

    internal override BoundaryChannel Claim(out Span<byte> region)
    {
        int count = _channels.Length;
        int last = t_last;
        int first = last > 0 ? (last - 1) % count : Environment.CurrentManagedThreadId % count;
        for (int tried = 0; tried < count; tried++)
        {
            int index = (first + tried) % count;
            if (_channels[index].TryClaim(out region))
            {
                t_last = index + 1;
                return _channels[index];
            }
        }

        throw new InvalidOperationException("Every core of the trust domain (" + count + ") is in a call: a domain serves at most one call per core at a time; give it more cores or call from fewer threads at once.");
    }

    // The pool never carries a call itself: Claim hands out one of its cores' channels.
    protected override Span<byte> GetRegion() => throw new InvalidOperationException("A domain's pool of core channels carries no call itself.");

    protected override void Switch(int length) => throw new InvalidOperationException("A domain's pool of core channels carries no call itself.");
}
