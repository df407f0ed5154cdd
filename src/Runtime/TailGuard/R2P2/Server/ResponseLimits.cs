using System;

namespace TailGuard.R2P2;

/// <summary>
/// Optional limits on what a server sends, against reflection and amplification (docs/security.md, "Amplification"):
/// R2P2 runs over UDP, so a small request with a forged source makes the server send its response to a victim. Off by
/// default (<see cref="R2P2ServerOptions.ResponseLimits"/> is null). A response over a limit is not sent: it is counted
/// (<see cref="R2P2ServerStatistics.LimitedResponses"/>), its request is released as answered, and its client times out.
/// </summary>
public sealed class ResponseLimits
{
    /// <summary>The largest response payload sent, in bytes; 0 for no size limit.</summary>
    public int MaxResponseBytes { get; init; }

    /// <summary>
    /// How many response bytes per second one destination (an IPv4 address or IPv6 /64, any port) may receive; 0 for
    /// no rate limit. Counted on the wire: payload plus the 8-byte header of each packet.
    /// </summary>
    public long BytesPerSecondPerDestination { get; init; }

    /// <summary>How many bytes a destination idle long enough may receive at once; 0 for one second's worth of <see cref="BytesPerSecondPerDestination"/>.</summary>
    public long BurstBytesPerDestination { get; init; }

    /// <summary>How many destinations the rate limit remembers (1 to 1,048,576); beyond, the one remembered longest is forgotten.</summary>
    public int MaxDestinations { get; init; } = 4096;

    /// <summary>
    /// Whether responses to multi-packet requests are exempt from the limits (default true): their client answered the
    /// ACK, so it receives at its address and cannot be a victim whose address was forged.
    /// </summary>
    public bool ExemptAcknowledgedRequests { get; init; } = true;

    internal void Validate()
    {
        if (MaxResponseBytes < 0 || BytesPerSecondPerDestination < 0 || BurstBytesPerDestination < 0 || MaxDestinations is < 1 or > R2P2Limits.MaxRequestsHeld)
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}.{nameof(R2P2ServerOptions.ResponseLimits)}: the sizes and rates must not be negative and {nameof(MaxDestinations)} must be between 1 and {R2P2Limits.MaxRequestsHeld}.");
        }
    }
}
