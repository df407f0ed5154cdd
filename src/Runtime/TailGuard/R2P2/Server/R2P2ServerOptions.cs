using System;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2;

/// <summary>Settings of an <see cref="R2P2Server"/>.</summary>
public sealed class R2P2ServerOptions
{
    /// <summary>Payload bytes per packet; 1464 (a 1500-byte MTU) is what interop uses.</summary>
    public int PayloadSize { get; init; } = Fragmenter.DefaultPayloadSize;

    /// <summary>The routing policies served; requests with any other policy are dropped and counted.</summary>
    public RoutingPolicy[] ServedPolicies { get; init; } = [RoutingPolicy.LoadBalanced, RoutingPolicy.Fixed];

    /// <summary>
    /// When set, one FEEDBACK goes to this router address after each response, from the listening socket. FEEDBACK
    /// carries an IPv4 client address on the wire, so the router must be IPv4.
    /// </summary>
    public PacketAddress? RouterAddress { get; init; }

    /// <summary>Decides on each request's FIRST packet; null admits everything.</summary>
    public IR2P2AdmissionPolicy? AdmissionPolicy { get; init; }

    /// <summary>The largest request accepted; a FIRST packet announcing more is dropped and counted.</summary>
    public int MaxRequestBytes { get; init; } = 1024 * 1024;

    /// <summary>How many multi-packet requests one receive loop reassembles at once; the oldest is evicted beyond.</summary>
    public int MaxPendingReassemblies { get; init; } = 1024;

    /// <summary>How many buffer bytes one receive loop's pending reassemblies may hold; the oldest are evicted beyond.</summary>
    public long MaxReassemblyBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>How long an incomplete request is kept.</summary>
    public TimeSpan ReassemblyTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a deferred response (<see cref="R2P2Request.Defer"/>) may stay unanswered; then it is released (its
    /// admission returned, <see cref="R2P2ServerStatistics.ExpiredResponses"/> counted) and a later answer is ignored.
    /// Match it to the clients' timeout: after that, nobody waits for the answer.
    /// </summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How many deferred responses one receive loop may hold unanswered at once; <see cref="R2P2Request.Defer"/> throws beyond.</summary>
    public int MaxDeferredResponses { get; init; } = 4096;

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

    /// <summary>Whether disposing the server disposes its transports.</summary>
    public bool OwnsTransports { get; init; } = true;

    /// <summary>Checks the settings against a transport.</summary>
    internal void Validate(PacketTransport transport)
    {
        if (PayloadSize + R2P2Header.Size > transport.MaxDatagramSize)
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}.{nameof(PayloadSize)} must be between {Fragmenter.FirstRequestPacketPayload} and the transport's datagram size minus the 8-byte header ({transport.MaxDatagramSize - R2P2Header.Size}).");
        }

        ValidateProtocol();
        if (RouterAddress is { IsIPv6: true } router)
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}.{nameof(RouterAddress)}: FEEDBACK carries the client's IPv4 address (the R2P2 wire format), so R2P2 routers are IPv4; {router} is IPv6.");
        }

        if (ResponseTimeout <= TimeSpan.Zero || MaxDeferredResponses is < 0 or > 1 << 20)
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}: {nameof(ResponseTimeout)} must be positive and {nameof(MaxDeferredResponses)} between 0 and 1048576.");
        }

        if (!Enum.IsDefined(ReceiveMode))
        {
            throw new ArgumentException($"R2P2ServerOptions.ReceiveMode: '{ReceiveMode}' is not a receive mode.");
        }

        if (SpinBudget < TimeSpan.Zero || SpinBudget > ReceiveLoopOptions.MaxSpinBudget)
        {
            throw new ArgumentException($"R2P2ServerOptions.SpinBudget: the spin budget must be between 0 and 1 s.");
        }

        if (ReceiveBatchSize is < 1 or > 1024)
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}.{nameof(ReceiveBatchSize)} must be between 1 and 1024.");
        }
    }

    /// <summary>Checks what <see cref="ServerProtocol"/> uses.</summary>
    internal void ValidateProtocol()
    {
        if (PayloadSize < Fragmenter.FirstRequestPacketPayload)
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}.{nameof(PayloadSize)} must be at least {Fragmenter.FirstRequestPacketPayload}.");
        }

        if (ServedPolicies is null || Array.Exists(ServedPolicies, p => (byte)p > (byte)RoutingPolicy.ReplicatedReadOnly))
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}.{nameof(ServedPolicies)} must list wire policies (0..3).");
        }

        if (MaxRequestBytes < 0 || MaxPendingReassemblies < 1 || MaxReassemblyBytes < PayloadSize || ReassemblyTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}: MaxRequestBytes must be >= 0, MaxPendingReassemblies >= 1, MaxReassemblyBytes >= PayloadSize and ReassemblyTimeout positive.");
        }
    }
}
