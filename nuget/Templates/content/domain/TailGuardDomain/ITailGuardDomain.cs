using TailGuard;

namespace TailGuardDomain;

/// <summary>
/// The trust domain's contract. The generator emits TailGuardDomainProxy (the host calls it), TailGuardDomainEntry (the
/// domain runs it) and TailGuardDomainBoundary (layout and hosting). Every buffer that crosses has a direction and a bound.
/// </summary>
[TrustDomain]
public interface ITailGuardDomain
{
    /// <summary>Signs <paramref name="message"/> with the domain's key (HMAC-SHA256) into <paramref name="signature"/>: bytes written.</summary>
    int Sign([Bounded(1024)] ReadOnlySpan<byte> message, [Bounded(32)] Span<byte> signature);

    /// <summary>Whether <paramref name="signature"/> is the domain's signature of <paramref name="message"/>.</summary>
    bool Check([Bounded(1024)] ReadOnlySpan<byte> message, [Bounded(32)] ReadOnlySpan<byte> signature);
}
