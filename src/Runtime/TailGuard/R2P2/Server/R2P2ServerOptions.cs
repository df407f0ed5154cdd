using System;
using System.Diagnostics.Metrics;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2;

/// <summary>Settings of an <see cref="R2P2Server"/>.</summary>
public sealed class R2P2ServerOptions
{
    private int _payloadSize = Fragmenter.DefaultPayloadSize;
    private int _receiveBatchSize = 32;

    /// <summary>Payload bytes per packet; 1464 (a 1500-byte MTU) is what interop uses. Where the route is known, the default is lowered to what it carries and another size it cannot carry is refused (docs/operations.md, "MTU and payload size").</summary>
    public int PayloadSize { get => _payloadSize; init => _payloadSize = value; }

    /// <summary>
    /// These settings with another payload size: the default payload size lowered to what the route carries
    /// (docs/operations.md, "MTU and payload size"); the caller's object is left as it was.
    /// </summary>
    internal R2P2ServerOptions WithPayloadSize(int payloadSize)
    {
        var copy = (R2P2ServerOptions)MemberwiseClone();
        copy._payloadSize = payloadSize;
        return copy;
    }

    /// <summary>These settings with another receive batch size (single-request workers read one datagram at a time); the caller's object is left as it was.</summary>
    internal R2P2ServerOptions WithReceiveBatchSize(int receiveBatchSize)
    {
        var copy = (R2P2ServerOptions)MemberwiseClone();
        copy._receiveBatchSize = receiveBatchSize;
        return copy;
    }

    /// <summary>The routing policies served; requests with any other policy are dropped and counted.</summary>
    public RoutingPolicy[] ServedPolicies { get; init; } = [RoutingPolicy.LoadBalanced, RoutingPolicy.Fixed];

    /// <summary>
    /// When set, one FEEDBACK goes to this router address after each response, from the listening socket (16 bytes
    /// naming an IPv4 client, 28 naming an IPv6 one; docs/router.md). The router is of the server's address family.
    /// </summary>
    public PacketAddress? RouterAddress { get; init; }

    /// <summary>Decides which whole requests the server takes (see <see cref="IR2P2AdmissionPolicy"/>); null admits everything.</summary>
    public IR2P2AdmissionPolicy? AdmissionPolicy { get; init; }

    /// <summary>
    /// The most admitted requests (being handled, or deferred and unanswered) one source may hold at once, over all
    /// loops: a source is an IPv4 address or an IPv6 /64, whatever its port. Beyond, its requests are refused as the
    /// admission policy would refuse them. Null (the default) sets no per-source limit; at most
    /// <see cref="R2P2Limits.MaxRequestsHeld"/>.
    /// </summary>
    public int? MaxInFlightPerSource { get; init; }

    /// <summary>The largest request accepted (at most <see cref="R2P2Limits.MaxMessageBytes"/>); a FIRST packet announcing more is dropped and counted.</summary>
    public int MaxRequestBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// How many multi-packet requests one receive loop reassembles at once (at most <see cref="R2P2Limits.MaxPendingReassemblies"/>);
    /// beyond, the oldest request of the source with the most pending goes.
    /// </summary>
    public int MaxPendingReassemblies { get; init; } = 1024;

    /// <summary>
    /// How many bytes one receive loop's pending reassemblies may hold: every packet buffer's capacity and each request's
    /// own structures (at most <see cref="R2P2Limits.MaxReassemblyBytes"/>); beyond, the oldest request of the source
    /// holding the most bytes goes.
    /// </summary>
    public long MaxReassemblyBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>
    /// How many multi-packet requests one source (an IPv4 address or IPv6 /64, any port) may have pending per loop;
    /// beyond, its own oldest goes. Null (the default) is a quarter of <see cref="MaxPendingReassemblies"/> (at least 1).
    /// </summary>
    public int? MaxPendingReassembliesPerSource { get; init; }

    /// <summary>
    /// How many bytes one source's pending requests may hold per loop; beyond, its own oldest goes. Null (the default) is
    /// a quarter of <see cref="MaxReassemblyBytes"/>.
    /// </summary>
    public long? MaxReassemblyBytesPerSource { get; init; }

    /// <summary>How long an incomplete request is kept (at most <see cref="R2P2Limits.MaxReassemblyTimeout"/>).</summary>
    public TimeSpan ReassemblyTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Limits on response sizes and rates per destination, against amplification; null (the default) sends every response.</summary>
    public ResponseLimits? ResponseLimits { get; init; }

    /// <summary>Where failures the server survives are reported after being counted (the logging seam); null counts them only.</summary>
    public IR2P2FailureLog? FailureLog { get; init; }

    /// <summary>
    /// Turns on the authenticated mode (docs/security.md): every request packet must carry the id of a key in this
    /// ring, its call nonce and a valid AES-GCM tag (others are dropped and counted in
    /// <see cref="R2P2ServerStatistics.UnauthenticatedDatagrams"/>), and every response, ACK and DROP is tagged for its
    /// call. Off (null) by default, so the wire stays the reference's; a server in this mode serves only clients
    /// holding a key of the ring. Each packet gives up a trailer's worth of payload.
    /// </summary>
    public Security.R2P2KeyRing? AuthenticationKeys { get; init; }

    /// <summary>
    /// Authenticated mode: how many of a key's most recent call nonces the server remembers (16 to
    /// <see cref="R2P2Limits.MaxReplayWindow"/>; 8 bytes each, per key of the ring). A request whose call nonce the server
    /// has taken, or that is older than the oldest it remembers, is a replay: dropped before admission and counted in
    /// <see cref="R2P2ServerStatistics.ReplayedDatagrams"/> (docs/security.md, "Replayed requests"). Raise it for
    /// clients with more calls in flight than this, whose requests may overtake one another by as many.
    /// </summary>
    public int ReplayWindow { get; init; } = 1024;

    /// <summary>
    /// Authenticated mode: how far a client's clock may lag the server's (0 to <see cref="R2P2Limits.MaxClockSkew"/>).
    /// The server refuses calls begun more than this before it started (a request recorded before a restart is refused,
    /// except one from this last stretch before it), and, for a key whose window is made after the ring changed, more
    /// than this before the window was made (its first request then): so it must also cover a request's time in flight.
    /// </summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Payload bytes per request packet a client sends (less the request trailer in authenticated mode).</summary>
    internal int RequestPayloadSize => AuthenticationKeys is null ? PayloadSize : PayloadSize - Security.AuthenticatedWire.RequestTrailerLength;

    /// <summary>Payload bytes per response packet (less the reply trailer in authenticated mode, so datagrams keep the same size).</summary>
    internal int ResponsePayloadSize => AuthenticationKeys is null ? PayloadSize : PayloadSize - Security.AuthenticatedWire.ReplyTrailerLength;

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

    /// <summary>
    /// How many datagrams one receive call may return. The responses to a batch leave after the whole batch is served;
    /// <see cref="R2P2Workers"/> reads one at a time whatever this says, so each response leaves when its request is done.
    /// </summary>
    public int ReceiveBatchSize { get => _receiveBatchSize; init => _receiveBatchSize = value; }

    /// <summary>Whether disposing the server disposes its transports.</summary>
    public bool OwnsTransports { get; init; } = true;

    /// <summary>
    /// Creates the "TailGuard.R2P2" meter the server's instruments live on (<c>TailGuard.Hosting</c> passes the host's);
    /// null uses a process-wide static meter of that name.
    /// </summary>
    public IMeterFactory? MeterFactory { get; init; }

    /// <summary>Checks the settings against a transport.</summary>
    internal void Validate(PacketTransport transport)
    {
        if (PayloadSize + R2P2Header.Size > transport.MaxDatagramSize)
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}.{nameof(PayloadSize)} must be between {Fragmenter.FirstRequestPacketPayload} and the transport's datagram size minus the 8-byte header ({transport.MaxDatagramSize - R2P2Header.Size}).");
        }

        ValidateProtocol();
        if (RouterAddress is { IsIPv6: true } router && transport.LocalAddress.IsIPv4)
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}.{nameof(RouterAddress)}: {router} is IPv6 and the server listens on IPv4 ({transport.LocalAddress}); a router and its servers share one address family.");
        }

        if (ResponseTimeout <= TimeSpan.Zero || ResponseTimeout > R2P2Limits.MaxTimeout || MaxDeferredResponses is < 0 or > R2P2Limits.MaxRequestsHeld)
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}: {nameof(ResponseTimeout)} must be positive and at most {R2P2Limits.MaxTimeout}, and {nameof(MaxDeferredResponses)} between 0 and {R2P2Limits.MaxRequestsHeld}.");
        }

        if (!Enum.IsDefined(ReceiveMode))
        {
            throw new ArgumentException($"R2P2ServerOptions.ReceiveMode: '{ReceiveMode}' is not a receive mode.");
        }

        if (SpinBudget < TimeSpan.Zero || SpinBudget > ReceiveLoopOptions.MaxSpinBudget)
        {
            throw new ArgumentException($"R2P2ServerOptions.SpinBudget: the spin budget must be between 0 and 1 s.");
        }

        if (ReceiveBatchSize is < 1 or > R2P2Limits.MaxReceiveBatch)
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}.{nameof(ReceiveBatchSize)} must be between 1 and {R2P2Limits.MaxReceiveBatch}.");
        }

        ResponseLimits?.Validate();
    }

    /// <summary>The per-source reassembly count bound in effect.</summary>
    internal int PendingReassembliesPerSource => MaxPendingReassembliesPerSource ?? Math.Max(1, MaxPendingReassemblies / 4);

    /// <summary>The per-source reassembly byte bound in effect.</summary>
    internal long ReassemblyBytesPerSource => MaxReassemblyBytesPerSource ?? (MaxReassemblyBytes / 4);

    /// <summary>Checks what <see cref="ServerProtocol"/> uses.</summary>
    internal void ValidateProtocol()
    {
        if (ResponsePayloadSize < Fragmenter.FirstRequestPacketPayload)
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}.{nameof(PayloadSize)} must be at least {Fragmenter.FirstRequestPacketPayload} (plus {Security.AuthenticatedWire.ReplyTrailerLength} in authenticated mode).");
        }

        if (ServedPolicies is null || Array.Exists(ServedPolicies, p => (byte)p > (byte)RoutingPolicy.ReplicatedReadOnly))
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}.{nameof(ServedPolicies)} must list wire policies (0..3).");
        }

        if (MaxRequestBytes is < 0 or > R2P2Limits.MaxMessageBytes
            || MaxPendingReassemblies is < 1 or > R2P2Limits.MaxPendingReassemblies
            || MaxReassemblyBytes < PayloadSize || MaxReassemblyBytes > R2P2Limits.MaxReassemblyBytes
            || ReassemblyTimeout <= TimeSpan.Zero || ReassemblyTimeout > R2P2Limits.MaxReassemblyTimeout)
        {
            throw new ArgumentException(
                $"{nameof(R2P2ServerOptions)}: {nameof(MaxRequestBytes)} must be between 0 and {R2P2Limits.MaxMessageBytes}, "
                + $"{nameof(MaxPendingReassemblies)} between 1 and {R2P2Limits.MaxPendingReassemblies}, "
                + $"{nameof(MaxReassemblyBytes)} between {nameof(PayloadSize)} and {R2P2Limits.MaxReassemblyBytes}, "
                + $"and {nameof(ReassemblyTimeout)} positive and at most {R2P2Limits.MaxReassemblyTimeout}.");
        }

        if (PendingReassembliesPerSource is < 1 || PendingReassembliesPerSource > MaxPendingReassemblies
            || ReassemblyBytesPerSource < 0 || ReassemblyBytesPerSource > MaxReassemblyBytes)
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}: {nameof(MaxPendingReassembliesPerSource)} must be between 1 and {nameof(MaxPendingReassemblies)}, and {nameof(MaxReassemblyBytesPerSource)} between 0 and {nameof(MaxReassemblyBytes)}.");
        }

        if (ReplayWindow is < 16 or > R2P2Limits.MaxReplayWindow || MaxClockSkew < TimeSpan.Zero || MaxClockSkew > R2P2Limits.MaxClockSkew)
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}: {nameof(ReplayWindow)} must be between 16 and {R2P2Limits.MaxReplayWindow}, and {nameof(MaxClockSkew)} between 0 and {R2P2Limits.MaxClockSkew}.");
        }

        if (MaxInFlightPerSource is < 1 or > R2P2Limits.MaxRequestsHeld)
        {
            throw new ArgumentException($"{nameof(R2P2ServerOptions)}.{nameof(MaxInFlightPerSource)} must be between 1 and {R2P2Limits.MaxRequestsHeld} (or null for no per-source limit).");
        }
    }
}
