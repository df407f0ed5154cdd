using System;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2;

/// <summary>Settings of an <see cref="R2P2Client"/>.</summary>
public sealed class R2P2ClientOptions
{
    /// <summary>The one timer of a call, covering the whole exchange (first packet, ACK, rest, whole response).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Payload bytes per packet; 1464 (a 1500-byte MTU) is what interop uses.</summary>
    public int PayloadSize { get; init; } = Fragmenter.DefaultPayloadSize;

    /// <summary>The most calls in flight at once (at most 65536: rids are 16 bits and unique among calls in flight).</summary>
    public int MaxInFlight { get; init; } = 4096;

    /// <summary>The largest response accepted; a larger announced packet count fails the call as malformed.</summary>
    public int MaxResponseBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// How the receive loop waits for datagrams: <see cref="ReceiveMode.Adaptive"/> (the default) spins for
    /// <see cref="SpinBudget"/> after each datagram, then blocks; docs/r2p2.md, "Receive modes", says when each mode wins.
    /// </summary>
    public ReceiveMode ReceiveMode { get; init; } = ReceiveMode.Adaptive;

    /// <summary>
    /// How long an adaptive receive loop keeps polling after its last datagram before it blocks (0 to 1 s; see
    /// <see cref="ReceiveLoopOptions.SpinBudget"/>).
    /// </summary>
    public TimeSpan SpinBudget { get; init; } = ReceiveLoopOptions.DefaultSpinBudget;

    /// <summary>How many datagrams one receive call may return.</summary>
    public int ReceiveBatchSize { get; init; } = 32;

    /// <summary>
    /// Whether awaiting code resumes on the thread pool (true, the safe default) or inline on the receive loop (false:
    /// lowest latency, but code after <c>await</c> then runs on the receive thread and must not block it).
    /// </summary>
    public bool RunContinuationsAsynchronously { get; init; } = true;

    /// <summary>Whether disposing the client disposes its transport.</summary>
    public bool OwnsTransport { get; init; } = true;

    internal void Validate(PacketTransport transport)
    {
        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(R2P2ClientOptions)}.Timeout: The call timeout must be positive.");
        }

        if (PayloadSize < Fragmenter.FirstRequestPacketPayload || PayloadSize + R2P2Header.Size > transport.MaxDatagramSize)
        {
            throw new ArgumentException($"{nameof(R2P2ClientOptions)}.PayloadSize: The payload size must be between {Fragmenter.FirstRequestPacketPayload} and the transport's datagram size minus the 8-byte header ({transport.MaxDatagramSize - R2P2Header.Size}).");
        }

        if (MaxInFlight is < 1 or > 65536)
        {
            throw new ArgumentException($"{nameof(R2P2ClientOptions)}.MaxInFlight: MaxInFlight must be between 1 and 65536.");
        }

        if (MaxResponseBytes < 0)
        {
            throw new ArgumentException($"{nameof(R2P2ClientOptions)}.MaxResponseBytes: MaxResponseBytes must not be negative.");
        }

        if (!Enum.IsDefined(ReceiveMode))
        {
            throw new ArgumentException($"R2P2ClientOptions.ReceiveMode: '{ReceiveMode}' is not a receive mode.");
        }

        if (SpinBudget < TimeSpan.Zero || SpinBudget > ReceiveLoopOptions.MaxSpinBudget)
        {
            throw new ArgumentException($"R2P2ClientOptions.SpinBudget: the spin budget must be between 0 and 1 s.");
        }

        if (ReceiveBatchSize is < 1 or > 1024)
        {
            throw new ArgumentException($"{nameof(R2P2ClientOptions)}.ReceiveBatchSize: ReceiveBatchSize must be between 1 and 1024.");
        }
    }
}
