using System.Buffers;

namespace TailGuard.R2P2;

/// <summary>A complete request as a handler sees it.</summary>
public readonly struct R2P2Request
{
    /// <summary>Creates a request view.</summary>
    /// <param name="payload">The request payload (a view over receive buffers).</param>
    /// <param name="requestId">The rid of the request.</param>
    /// <param name="policy">The routing policy the request carried.</param>
    public R2P2Request(ReadOnlySequence<byte> payload, ushort requestId, RoutingPolicy policy)
    {
        Payload = payload;
        RequestId = requestId;
        Policy = policy;
    }

    /// <summary>The request payload: a view over the receive buffers, valid only while the handler runs.</summary>
    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>The request id (rid) the client chose; unique among its requests in flight on one socket.</summary>
    public ushort RequestId { get; }

    /// <summary>The routing policy carried in the request header.</summary>
    public RoutingPolicy Policy { get; }
}
