using System;
using System.Collections.Generic;

namespace TailGuard.R2P2.Routing;

/// <summary>Settings of an <see cref="R2P2Router"/> (docs/router.md, "Options").</summary>
public sealed class R2P2RouterOptions
{
    private int _payloadSize = Protocol.Fragmenter.DefaultPayloadSize;

    /// <summary>How load-balanced requests are placed; JBSQ(2) by default.</summary>
    public RouterPolicy Policy { get; init; } = RouterPolicy.BoundedShortestQueue(2);

    /// <summary>
    /// The servers the router starts with (more join with <see cref="R2P2Router.AddServer"/>). Each is the address (of the router's family)
    /// and port the server receives requests on and sends its FEEDBACK from (a server with k workers is k of them).
    /// </summary>
    public IReadOnlyList<PacketAddress> Servers { get; init; } = [];

    /// <summary>
    /// Where requests whose header says FIXED go (and every request under <see cref="RouterPolicy.Fixed"/>); one of
    /// <see cref="Servers"/>. When null, the first server to join: the first of <see cref="Servers"/>, or, for a router
    /// started without servers, the first added (<see cref="R2P2Router.AddServer"/>). It stays the fixed server while
    /// it is away (FIXED requests are then answered DROP) and when it comes back.
    /// </summary>
    public PacketAddress? FixedServer { get; init; }

    /// <summary>
    /// How many requests the central FIFO holds (JBSQ); a request beyond it is answered DROP on the servers' behalf. 0
    /// refuses every request that finds no free credit.
    /// </summary>
    public int QueueCapacity { get; init; } = 4096;

    /// <summary>A queued request not dispatched within this is answered DROP (its client has stopped waiting by then, or soon will).</summary>
    public TimeSpan QueueTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a forwarded request may go without its FEEDBACK. Then its credit is reclaimed, and if its server sent no
    /// FEEDBACK at all since the request left, the server is taken out (evicted): a dead server cannot black-hole requests.
    /// Longer than the slowest request's service plus its queueing at the server.
    /// </summary>
    public TimeSpan FeedbackTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many forwarded requests the router tracks at once (awaiting FEEDBACK); a request beyond it is answered DROP
    /// (JBSQ queues it instead). Bounds the router's memory under the unbounded policies.
    /// </summary>
    public int MaxOutstanding { get; init; } = 16384;

    /// <summary>How many servers may be members at once.</summary>
    public int MaxServers { get; init; } = 1024;

    /// <summary>
    /// The largest request payload per packet the router takes (the clients' payload size, 1464 by default): a request's
    /// first packet larger than this plus the 8-byte header is dropped by the transport and counted there. The default is
    /// lowered to what the routes to the configured servers carry, and a server whose route cannot carry another size is
    /// refused (docs/operations.md, "MTU and payload size").
    /// </summary>
    public int PayloadSize { get => _payloadSize; init => _payloadSize = value; }

    /// <summary>
    /// These settings with another payload size: the default payload size lowered to what the route carries
    /// (docs/operations.md, "MTU and payload size"); the caller's object is left as it was.
    /// </summary>
    internal R2P2RouterOptions WithPayloadSize(int payloadSize)
    {
        var copy = (R2P2RouterOptions)MemberwiseClone();
        copy._payloadSize = payloadSize;
        return copy;
    }

    /// <summary>How the request loop waits for datagrams.</summary>
    public ReceiveMode ReceiveMode { get; init; } = ReceiveMode.Blocking;

    /// <summary>
    /// How the FEEDBACK loop waits, when FEEDBACK has its own port; <see cref="ReceiveMode"/> when null. Blocking suits a
    /// machine with few cores: FEEDBACK only returns credits, and a busy-polled request loop already holds one core.
    /// </summary>
    public ReceiveMode? FeedbackReceiveMode { get; init; }

    /// <summary>How many datagrams one receive call may return.</summary>
    public int ReceiveBatchSize { get; init; } = 32;

    /// <summary>Seeds the random policy, so a run can be repeated; a random seed when null.</summary>
    public int? Seed { get; init; }

    /// <summary>
    /// Where the router reports failures it survived: subscribers of <see cref="R2P2Router.ServerEvicted"/> and
    /// <see cref="R2P2Router.ReceiveLoopError"/> that threw, and defects in its own processing (see
    /// <see cref="IR2P2FailureLog"/>). Each is counted in <see cref="R2P2RouterStatistics"/> either way.
    /// </summary>
    public IR2P2FailureLog? FailureLog { get; init; }

    /// <summary>Whether disposing the router disposes its transports and its forwarder.</summary>
    public bool OwnsTransports { get; init; } = true;

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    internal void Validate()
    {
        if (Policy.Kind == RouterPolicyKind.BoundedShortestQueue && Policy.Bound < 1)
        {
            throw new ArgumentException($"{nameof(R2P2RouterOptions)}.{nameof(Policy)}: JBSQ needs a bound of at least 1 (RouterPolicy.BoundedShortestQueue(n)).");
        }

        if (Servers is null)
        {
            throw new ArgumentException($"{nameof(R2P2RouterOptions)}.{nameof(Servers)} must not be null (an empty list starts a router with no servers).");
        }

        if (QueueCapacity is < 0 or > 1 << 20)
        {
            throw new ArgumentException($"{nameof(R2P2RouterOptions)}.{nameof(QueueCapacity)} must be between 0 and 1048576.");
        }

        if (MaxOutstanding is < 1 or > 1 << 22 || MaxServers is < 1 or > 65536)
        {
            throw new ArgumentException($"{nameof(R2P2RouterOptions)}: {nameof(MaxOutstanding)} must be between 1 and 4194304 and {nameof(MaxServers)} between 1 and 65536.");
        }

        if (QueueTimeout <= TimeSpan.Zero || FeedbackTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(R2P2RouterOptions)}: {nameof(QueueTimeout)} and {nameof(FeedbackTimeout)} must be positive.");
        }

        if (PayloadSize is < Protocol.Fragmenter.FirstRequestPacketPayload or > 65507 - Protocol.R2P2Header.Size)
        {
            throw new ArgumentException($"{nameof(R2P2RouterOptions)}.{nameof(PayloadSize)} must be between {Protocol.Fragmenter.FirstRequestPacketPayload} and {65507 - Protocol.R2P2Header.Size}.");
        }

        if (ReceiveBatchSize is < 1 or > 1024)
        {
            throw new ArgumentException($"{nameof(R2P2RouterOptions)}.{nameof(ReceiveBatchSize)} must be between 1 and 1024.");
        }

        var seen = new HashSet<PacketAddress>();
        foreach (var server in Servers)
        {
            CheckServer(server, $"{nameof(R2P2RouterOptions)}.{nameof(Servers)}");
            if (!seen.Add(server))
            {
                throw new ArgumentException($"{nameof(R2P2RouterOptions)}.{nameof(Servers)} lists {server} twice.");
            }
        }

        if (seen.Count > MaxServers)
        {
            throw new ArgumentException($"{nameof(R2P2RouterOptions)}.{nameof(Servers)} lists {seen.Count} servers, more than {nameof(MaxServers)} ({MaxServers}).");
        }

        if (FixedServer is { } fixedServer && !seen.Contains(fixedServer))
        {
            throw new ArgumentException($"{nameof(R2P2RouterOptions)}.{nameof(FixedServer)} {fixedServer} is not one of {nameof(Servers)}: the router takes FEEDBACK only from its servers.");
        }
    }

    /// <summary>A server address the router can forward to: a host (not 0.0.0.0 or ::) and a real port.</summary>
    internal static void CheckServer(PacketAddress server, string what)
    {
        if (server.Port == 0 || IsUnspecified(server))
        {
            throw new ArgumentException($"{what}: {server} is not a server address (it needs a host and a port other than 0).");
        }
    }

    private static bool IsUnspecified(PacketAddress address)
    {
        if (address.IsIPv4)
        {
            return address.IPv4 == 0;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.WriteIPv6Bytes(bytes);
        return !bytes.ContainsAnyExcept((byte)0);
    }
}
