using TailGuard;

namespace TailGuardService;

/// <summary>
/// The service contract. The generator turns it into TailGuardServiceClient (call it) and TailGuardServiceDispatcher
/// (serve it). Arguments travel as bytes: spans are views into the receive buffer, a Span destination is the reply.
/// </summary>
[R2P2Service]
public interface ITailGuardService
{
    /// <summary>The sum of <paramref name="left"/> and <paramref name="right"/>.</summary>
    long Add(long left, long right);

    /// <summary>Writes <paramref name="text"/> reversed into <paramref name="destination"/>: its length.</summary>
    int Reverse([R2P2MaxLength(256)] ReadOnlySpan<byte> text, [R2P2MaxLength(256)] Span<byte> destination);
}
