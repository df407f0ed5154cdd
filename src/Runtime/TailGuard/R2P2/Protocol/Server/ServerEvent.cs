using System.Buffers;

namespace TailGuard.R2P2.Protocol;

/// <summary>What a server does about one received datagram, as <see cref="ServerProtocol.Receive"/> decided it.</summary>
public readonly struct ServerEvent
{
    internal ServerEvent(ServerEventKind kind, RequestRejection rejection, HeaderStatus headerStatus, in R2P2Header header, PacketAddress client, ReadOnlySequence<byte> payload, bool keepsPacket, int discarded)
    {
        Kind = kind;
        Rejection = rejection;
        HeaderStatus = headerStatus;
        RequestId = header.RequestId;
        Policy = header.Policy;
        Client = client;
        Payload = payload;
        KeepsPacket = keepsPacket;
        Discarded = discarded;
    }

    /// <summary>What to do.</summary>
    public ServerEventKind Kind { get; }

    /// <summary>Why the datagram was rejected, for <see cref="ServerEventKind.Rejected"/>; <see cref="RequestRejection.None"/> otherwise.</summary>
    public RequestRejection Rejection { get; }

    /// <summary>The header check's result (not <see cref="HeaderStatus.Valid"/> only for <see cref="RequestRejection.BadHeader"/>).</summary>
    public HeaderStatus HeaderStatus { get; }

    /// <summary>The request's rid.</summary>
    public ushort RequestId { get; }

    /// <summary>The request's routing policy (for a delivered multi-packet request, its FIRST packet's).</summary>
    public RoutingPolicy Policy { get; }

    /// <summary>The request's source: where the ACK, DROP or response goes.</summary>
    public PacketAddress Client { get; }

    /// <summary>For <see cref="ServerEventKind.Deliver"/>: the whole payload, valid until <see cref="ServerProtocol.EndDelivery"/>.</summary>
    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>Whether the protocol kept the datagram's buffer (the caller must not reuse or return it).</summary>
    public bool KeepsPacket { get; }

    /// <summary>How many pending requests were discarded while handling this datagram (evicted by a bound, or inconsistent).</summary>
    public int Discarded { get; }

    /// <summary>For <see cref="ServerEventKind.Deliver"/>: whether the request was multi-packet, so its client answered an ACK (its address is proven).</summary>
    public bool WasAcknowledged { get; init; }

    /// <summary>The request as the admission policy was asked about it (and is released with).</summary>
    internal R2P2AdmissionRequest Admission => new(RequestId, Client, Policy);

    /// <summary>In authenticated mode, the id of the key that authenticated the request; null otherwise.</summary>
    public uint? KeyId => Key?.Id;

    /// <summary>In authenticated mode, the key that authenticated the request (its replies are sealed with it).</summary>
    internal Security.R2P2Key? Key { get; init; }

    /// <summary>In authenticated mode, the request's call nonce (its replies name it).</summary>
    internal ulong CallNonce { get; init; }
}
