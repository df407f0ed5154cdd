using System;
using System.Buffers;

namespace TailGuard.R2P2.Protocol;

/// <summary>
/// The client side of one RPC as a state machine, without I/O (docs/design/r2p2.md, "The multi-packet request
/// handshake" and "Responses, DROP and FEEDBACK"): it holds the request's packets until they are due, takes the response's
/// packets (FIRST, then 1..N-1 in order, LAST exactly on N-1), and turns each datagram into a <see cref="ClientCallEvent"/>.
/// It takes datagrams only from who may answer (source binding, docs/security.md): a source
/// <see cref="ResponseSources"/> accepts until a server ACKs or starts the response, then that server alone; and a DROP
/// only while no part of the request has been handed to a server beyond its first packet, from those sources or from the
/// call's destination (a router refusing the request from its own address).
/// A call is reusable: <see cref="Reset"/> gives back every buffer it holds. Not thread-safe; allocation-free once warm
/// (a response of more than a few packets borrows its packet list from <see cref="ArrayPool{T}.Shared"/> until Reset).
/// </summary>
public class ClientCall
{
    private const int InlineResponsePackets = 4;
    private readonly PacketBuffer[] _inlineResponse = new PacketBuffer[InlineResponsePackets];
    private PacketBuffer[] _request = new PacketBuffer[1];
    private PacketBuffer[] _response;
    private int _requestCount;
    private int _requestNext;
    private int _responseCount;
    private int _responseExpected;
    private PacketAddress _destination;
    private PacketAddress _responder;
    private bool _bound;
    private bool _tookReply;
    private ulong _lastReplyNonce;

    /// <summary>Creates an idle call.</summary>
    public ClientCall() => _response = _inlineResponse;

    /// <summary>Where the call is.</summary>
    public CallState State { get; private set; }

    /// <summary>The rid given at <see cref="Start"/>.</summary>
    public ushort RequestId { get; private set; }

    /// <summary>How many packets the request has.</summary>
    public int RequestPacketCount => _requestCount;

    /// <summary>Where the request's first packet went (set at <see cref="Start"/>): a server, or a router.</summary>
    public PacketAddress Destination => _destination;

    /// <summary>The server bound to the call by its ACK or its response's first packet; null before.</summary>
    public PacketAddress? Responder => _bound ? _responder : null;

    /// <summary>The response packets received so far (all of them once <see cref="ClientCallEvent.Completed"/>).</summary>
    public ReadOnlySpan<PacketBuffer> ResponsePackets => _response.AsSpan(0, _responseCount);

    /// <summary>The slot <see cref="ClientProtocol"/> gave the call while it is in flight (its deadline's id); -1 otherwise.</summary>
    internal int Slot { get; set; } = -1;

    /// <summary>In authenticated mode, the call's nonce: every request packet carries it and every reply must name it.</summary>
    internal ulong CallNonce { get; set; }

    /// <summary>
    /// In authenticated mode, whether <paramref name="serverNonce"/> (of a reply whose tag verified for this call) is
    /// after every reply the call took: a server counts its nonces up and seals a call's ACK, then its response packets,
    /// in the order it sends them, so a reply that is not newer is a replay within the call (docs/security.md).
    /// </summary>
    internal bool IsFreshReply(ulong serverNonce) => !_tookReply || unchecked((long)(serverNonce - _lastReplyNonce)) > 0;

    /// <summary>Remembers the server nonce of a reply the call took (see <see cref="IsFreshReply"/>).</summary>
    internal void TookReply(ulong serverNonce)
    {
        _lastReplyNonce = serverNonce;
        _tookReply = true;
    }

    /// <summary>The request packets the call still holds (not yet handed out).</summary>
    internal Span<PacketBuffer> HeldRequestPackets => _request.AsSpan(_requestNext, _requestCount - _requestNext);

    /// <summary>Splits the request <paramref name="writer"/> holds into this call's packets (the call owns them now).</summary>
    /// <param name="writer">A started writer holding the request payload; it is empty afterwards.</param>
    /// <param name="policy">The request's routing policy.</param>
    /// <param name="destination">Where the first packet goes (a server or a router).</param>
    /// <returns>The packet count.</returns>
    /// <exception cref="InvalidOperationException">The call is not idle.</exception>
    public int BuildRequest(MessageWriter writer, RoutingPolicy policy, PacketAddress destination)
    {
        ArgumentNullException.ThrowIfNull(writer);
        EnsureIdleWithoutRequest();
        _requestCount = writer.Build(MessageType.Request, policy, 0, destination, ref _request);
        _requestNext = 0;
        return _requestCount;
    }

    /// <summary>Takes a request already split into packets (the call owns them now).</summary>
    /// <param name="packets">The packets of one request message, in order.</param>
    /// <exception cref="InvalidOperationException">The call is not idle.</exception>
    public void SetRequest(ReadOnlySpan<PacketBuffer> packets)
    {
        EnsureIdleWithoutRequest();
        if (packets.IsEmpty)
        {
            throw new ArgumentException("A request has at least one packet.", nameof(packets));
        }

        if (_request.Length < packets.Length)
        {
            _request = new PacketBuffer[packets.Length];
        }

        packets.CopyTo(_request);
        _requestCount = packets.Length;
        _requestNext = 0;
    }

    /// <summary>
    /// Starts the call with <paramref name="requestId"/>: stamps the rid into every request packet and hands out the
    /// first packet to send now (the caller owns it). A multi-packet request keeps the rest until the ACK.
    /// </summary>
    /// <param name="requestId">The rid (from a <see cref="RequestIdTable{T}"/>).</param>
    /// <returns>The first packet.</returns>
    /// <exception cref="InvalidOperationException">The call is not idle, or has no request.</exception>
    public PacketBuffer Start(ushort requestId)
    {
        if (State != CallState.Idle || _requestCount == 0 || _requestNext != 0)
        {
            throw new InvalidOperationException("A call starts once, idle, with a request.");
        }

        for (var i = 0; i < _requestCount; i++)
        {
            R2P2Header.WriteRequestId(_request[i].Storage, requestId);
        }

        RequestId = requestId;
        State = _requestCount == 1 ? CallState.AwaitingResponse : CallState.AwaitingAck;
        _destination = _request[0].Address;
        _bound = false;
        _tookReply = false;
        var first = _request[0];
        _request[0] = null!;
        _requestNext = 1;
        return first;
    }

    /// <summary>Turns a datagram for this call's rid into an event (see <see cref="ClientCallEvent"/> for who keeps the buffer).</summary>
    /// <param name="header">The datagram's header, already read as valid.</param>
    /// <param name="packet">The datagram, with its source address.</param>
    /// <param name="maxResponsePackets">The most packets a response may announce; more fails the call as malformed.</param>
    /// <param name="sources">Who may answer before a server is bound to the call; null is <see cref="ResponseSources.Destination"/>.</param>
    /// <returns>The event.</returns>
    public ClientCallEvent Receive(in R2P2Header header, PacketBuffer packet, int maxResponsePackets, ResponseSources? sources = null)
    {
        ArgumentNullException.ThrowIfNull(packet);
        if (State is CallState.Idle or CallState.Ended || header.Type is not (MessageType.Ack or MessageType.Drop or MessageType.Response))
        {
            return ClientCallEvent.Ignored;
        }

        if (!MayAnswer(header.Type, packet.Address, sources ?? ResponseSources.Destination))
        {
            return ClientCallEvent.Forged; // a third party, or another server than the one bound: the call goes on
        }

        var outcome = header.Type switch
        {
            MessageType.Ack => ReceiveAck(packet, header),
            MessageType.Drop => ReceiveDrop(packet, header),
            _ => ReceiveResponse(packet, header, maxResponsePackets),
        };

        if (outcome is ClientCallEvent.Completed or ClientCallEvent.Dropped or ClientCallEvent.Malformed)
        {
            State = CallState.Ended;
        }

        return outcome;
    }

    /// <summary>
    /// After <see cref="ClientCallEvent.SendContinuations"/>: the request's packets 1..N-1, addressed to the ACK's source.
    /// The caller owns them now and must send them (or return them) before the call is reused.
    /// </summary>
    /// <returns>The packets; empty when there are none left to send.</returns>
    public ReadOnlySpan<PacketBuffer> TakeContinuations()
    {
        var start = _requestNext;
        _requestNext = _requestCount;
        return _request.AsSpan(start, _requestCount - start);
    }

    /// <summary>Ends the call from outside the protocol (a timeout, a cancellation, a failed send).</summary>
    public void End() => State = State == CallState.Idle ? CallState.Idle : CallState.Ended;

    /// <summary>The whole response payload, after <see cref="ClientCallEvent.Completed"/>: a view over the response packets, chained without copying.</summary>
    /// <returns>The payload, valid until <see cref="Reset"/>.</returns>
    public ReadOnlySequence<byte> ResponsePayload()
    {
        if (_responseCount == 0 || _responseCount != _responseExpected)
        {
            throw new InvalidOperationException("The call has no complete response.");
        }

        if (_responseCount == 1)
        {
            var only = _response[0];
            return new ReadOnlySequence<byte>(only.Memory[R2P2Header.Size..]);
        }

        PayloadSegment? first = null;
        PayloadSegment? last = null;
        long running = 0;
        for (var i = 0; i < _responseCount; i++)
        {
            var packet = _response[i];
            var segment = packet.Segment;
            segment.Set(packet.Memory[R2P2Header.Size..], running);
            running += packet.Length - R2P2Header.Size;
            if (last is null)
            {
                first = segment;
            }
            else
            {
                last.Link(segment);
            }

            last = segment;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    /// <summary>Gives back every buffer the call still holds (unsent request packets, response packets) and makes it idle.</summary>
    public void Reset()
    {
        for (var i = _requestNext; i < _requestCount; i++)
        {
            _request[i].Return();
            _request[i] = null!;
        }

        for (var i = 0; i < _responseCount; i++)
        {
            _response[i].Return();
            _response[i] = null!;
        }

        if (!ReferenceEquals(_response, _inlineResponse))
        {
            ArrayPool<PacketBuffer>.Shared.Return(_response); // cleared above, where it was filled
            _response = _inlineResponse;
        }

        Array.Clear(_request, 0, _requestCount);
        _requestCount = 0;
        _requestNext = 0;
        _responseCount = 0;
        _responseExpected = 0;
        RequestId = 0;
        _destination = default;
        _bound = false;
        _tookReply = false;
        State = CallState.Idle;
    }

    private bool MayAnswer(MessageType type, PacketAddress source, ResponseSources sources)
    {
        if (_bound)
        {
            return source == _responder;
        }

        // A router in front of the servers answers DROP from its own address (the destination) when it cannot queue the
        // request; no server is bound yet, and ReceiveDrop takes it only before any ACK. Responses and ACKs from the
        // router stay refused: the sources decide those.
        return sources.Accepts(source, _destination) || (type == MessageType.Drop && source == _destination);
    }

    private void Bind(PacketAddress server)
    {
        _responder = server;
        _bound = true;
    }

    private ClientCallEvent ReceiveDrop(PacketBuffer packet, in R2P2Header header)
    {
        // A DROP says the handler never ran, so the caller may retry. That holds only until a server took the request:
        // after the ACK of a multi-packet request (its body went out) or once a response started, a DROP is ignored.
        var beforeAck = State == CallState.AwaitingAck || (State == CallState.AwaitingResponse && _requestCount == 1);
        if (!beforeAck)
        {
            return ClientCallEvent.Ignored;
        }

        return ControlMessages.IsWellFormedDrop(packet.Span, header) ? ClientCallEvent.Dropped : ClientCallEvent.Malformed;
    }

    private ClientCallEvent ReceiveAck(PacketBuffer packet, in R2P2Header header)
    {
        if (State != CallState.AwaitingAck)
        {
            return ClientCallEvent.Ignored; // a duplicate ACK (the network may duplicate)
        }

        if (!ControlMessages.IsWellFormedAck(packet.Span, header))
        {
            return ClientCallEvent.Malformed;
        }

        // The rest goes to whoever answered, bypassing a router (docs/design/r2p2.md, handshake step 3); that server is
        // now the only one that may answer the call.
        Bind(packet.Address);
        for (var i = _requestNext; i < _requestCount; i++)
        {
            _request[i].Address = packet.Address;
        }

        State = CallState.AwaitingResponse;
        return ClientCallEvent.SendContinuations;
    }

    private ClientCallEvent ReceiveResponse(PacketBuffer packet, in R2P2Header header, int maxResponsePackets)
    {
        switch (State)
        {
            case CallState.AwaitingResponse when header.IsFirst:
                var count = header.IsLast ? 1 : header.PacketOrder;
                if (count > maxResponsePackets)
                {
                    return ClientCallEvent.Malformed;
                }

                // The list grows as packets arrive, not to the announced count, and a large one goes back to the pool at
                // Reset: a forged FIRST costs nothing lasting.
                Bind(packet.Address);
                _response[0] = packet;
                _responseCount = 1;
                _responseExpected = count;
                if (count == 1)
                {
                    return ClientCallEvent.Completed;
                }

                State = CallState.ReceivingResponse;
                return ClientCallEvent.ResponsePacketStored;

            case CallState.ReceivingResponse when !header.IsFirst && header.PacketOrder == _responseCount:
                var isFinal = header.PacketOrder == _responseExpected - 1;
                if (header.IsLast != isFinal)
                {
                    return ClientCallEvent.Malformed;
                }

                if (_responseCount == _response.Length)
                {
                    GrowResponse();
                }

                _response[_responseCount++] = packet;
                return isFinal ? ClientCallEvent.Completed : ClientCallEvent.ResponsePacketStored;

            default:
                // A response before the ACK, a continuation without FIRST, a gap, a duplicate: the call fails once.
                return ClientCallEvent.Malformed;
        }
    }

    private void GrowResponse()
    {
        var larger = ArrayPool<PacketBuffer>.Shared.Rent(Math.Min(_responseExpected, _response.Length * 2));
        _response.AsSpan(0, _responseCount).CopyTo(larger);
        _response.AsSpan(0, _responseCount).Clear();
        if (!ReferenceEquals(_response, _inlineResponse))
        {
            ArrayPool<PacketBuffer>.Shared.Return(_response);
        }

        _response = larger;
    }

    private void EnsureIdleWithoutRequest()
    {
        if (State != CallState.Idle || _requestCount != 0)
        {
            throw new InvalidOperationException("A call takes a request once, while idle (Reset it first).");
        }
    }
}
