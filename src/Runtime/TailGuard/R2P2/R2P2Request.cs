using System;
using System.Buffers;

namespace TailGuard.R2P2;

/// <summary>A complete request as a handler sees it.</summary>
public readonly struct R2P2Request
{
    private readonly IResponseDeferrer? _deferrer;
    private readonly int _token;

    /// <summary>Creates a request view (one a handler cannot <see cref="Defer"/>: no server is behind it).</summary>
    /// <param name="payload">The request payload (a view over receive buffers).</param>
    /// <param name="requestId">The rid of the request.</param>
    /// <param name="policy">The routing policy the request carried.</param>
    public R2P2Request(ReadOnlySequence<byte> payload, ushort requestId, RoutingPolicy policy)
        : this(payload, requestId, policy, default)
    {
    }

    /// <summary>Creates a request view from a known client (one a handler cannot <see cref="Defer"/>: no server is behind it).</summary>
    /// <param name="payload">The request payload (a view over receive buffers).</param>
    /// <param name="requestId">The rid of the request.</param>
    /// <param name="policy">The routing policy the request carried.</param>
    /// <param name="client">The request's source address.</param>
    public R2P2Request(ReadOnlySequence<byte> payload, ushort requestId, RoutingPolicy policy, PacketAddress client)
    {
        Payload = payload;
        RequestId = requestId;
        Policy = policy;
        Client = client;
        _deferrer = null;
        _token = 0;
    }

    internal R2P2Request(ReadOnlySequence<byte> payload, ushort requestId, RoutingPolicy policy, PacketAddress client, IResponseDeferrer deferrer, int token)
        : this(payload, requestId, policy, client)
    {
        _deferrer = deferrer;
        _token = token;
    }

    /// <summary>The request payload: a view over the receive buffers, valid only while the handler runs.</summary>
    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>The request id (rid) the client chose; unique among its requests in flight on one socket.</summary>
    public ushort RequestId { get; }

    /// <summary>The routing policy carried in the request header.</summary>
    public RoutingPolicy Policy { get; }

    /// <summary>The request's source address: the client (an RPC is identified by client address, port and rid).</summary>
    public PacketAddress Client { get; }

    /// <summary>
    /// In authenticated mode, the id of the key that authenticated the request (who sent it, as far as the key ring
    /// knows: use it to authorize); null when the server is not in authenticated mode.
    /// </summary>
    public uint? KeyId { get; internal init; }

    /// <summary>Whether <see cref="Defer"/> is possible: the request came from a server's receive loop.</summary>
    public bool CanDefer => _deferrer is not null;

    /// <summary>
    /// Answers this request later instead of now: the server sends nothing when the handler returns (whatever it wrote is
    /// discarded) and the returned handle answers exactly once, from any thread, with
    /// <see cref="R2P2ResponseHandle.TrySend(ReadOnlySpan{byte})"/>. An answer that does not come within
    /// <see cref="R2P2ServerOptions.ResponseTimeout"/> is released (counted) and ignored if it comes later. The payload
    /// is still valid only until the handler returns: copy what the answer needs. Call it at most once, from the
    /// handler, on the thread running it.
    /// </summary>
    /// <returns>The handle (a struct; deferring allocates nothing once the server is warm).</returns>
    /// <exception cref="InvalidOperationException">
    /// The request did not come from a server, the handler already returned or deferred it, the call is on another
    /// thread, or the loop holds <see cref="R2P2ServerOptions.MaxDeferredResponses"/> unanswered responses already.
    /// </exception>
    public R2P2ResponseHandle Defer()
        => _deferrer is null
            ? throw new InvalidOperationException("This request did not come from an R2P2 server, so it cannot be answered later.")
            : _deferrer.Defer(_token);
}

/// <summary>The server side of <see cref="R2P2Request.Defer"/>: a token tells the request being served from a stale copy.</summary>
internal interface IResponseDeferrer
{
    R2P2ResponseHandle Defer(int token);
}
