using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using TailGuard.Fuzz.Harness;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;

namespace TailGuard.Fuzz.R2P2;

/// <summary>
/// The client's response handling without I/O (<see cref="ClientProtocol"/> and its <see cref="ClientCall"/>s): calls
/// start, time out and are cancelled while ACK, DROP and response datagrams (well-formed, forged, duplicated, out of
/// order, for unknown rids, from third parties) arrive. Invariants: each datagram's event is what the client rules of
/// docs/design/r2p2.md and docs/security.md (source binding, DROP only before the request is taken) say for the call's
/// state (a model kept here); a call completes at most once and only with its response packets, FIRST then
/// 1..N-1, payloads intact; the calls in flight are exactly the model's, their rids distinct; a response never holds more
/// than the announced bound of packets; every buffer (request and response) goes back exactly once.
/// </summary>
internal sealed class ClientResponseTarget : IFuzzTarget
{
    private const int BufferCapacity = 64;
    private const int MaxInFlight = 4;
    private const int MaxResponsePackets = 6;
    private const int RequestIds = 8;

    private static readonly PacketAddress Server = new(0x0A000009, 9000);

    private static readonly PacketAddress[] Sources = [Server, new(0x0A00000A, 9000), new(0x0A000009, 9001), PacketAddress.Parse("[fd00::9]:9000")];

    private readonly CountingBufferOwner _buffers = new(BufferCapacity);
    private readonly ClientCall[] _calls = [new(), new(), new(), new(), new()];
    private readonly Model[] _models = new Model[5];
    private readonly List<int> _payloadLengths = [];
    private const long Quarantine = 64;

    // One protocol for every input (its rid table is large). An input ends with nothing in flight, and the next starts
    // past every quarantine the last one left, so no input sees another's state.
    private readonly ClientProtocol _protocol = new(MaxInFlight, MaxResponsePackets, ResponseSources.Destination, Quarantine);
    private long _epoch;

    private enum Phase
    {
        Idle,
        AwaitingAck,
        AwaitingResponse,
        Receiving,
    }

    public string Name => "client";

    public void Run(ReadOnlySpan<byte> bytes)
    {
        ClientProtocol protocol = _protocol;
        protocol.NextRequestId = 0;
        Array.Clear(_models);
        _payloadLengths.Clear();
        var input = new FuzzInput(bytes);
        long now = _epoch;
        Span<byte> datagram = stackalloc byte[BufferCapacity];
        while (!input.IsEmpty)
        {
            byte op = input.Byte();
            switch (op >> 5)
            {
                case 6 or 7:
                    now += op & 0x3F;
                    while (protocol.TakeExpired(now) is { } expired)
                    {
                        int slot = Array.IndexOf(_calls, expired);
                        Invariant.Holds(slot >= 0 && _models[slot].Phase != Phase.Idle && _models[slot].Deadline <= now, "A call expired that was not in flight or not due.");
                        Finish(slot);
                    }

                    break;
                case 4:
                    Start(protocol, op & 7, input.Byte(), now + input.Byte());
                    break;
                case 5:
                    int which = op % _calls.Length;
                    bool ended = protocol.TryEnd(_calls[which]);
                    Invariant.Holds(ended == (_models[which].Phase != Phase.Idle), $"TryEnd said {ended} for a call the model has {_models[which].Phase}.");
                    if (ended)
                    {
                        Finish(which);
                    }

                    break;
                default:
                    Receive(protocol, ref input, op, datagram);
                    break;
            }

            int inFlight = 0;
            foreach (Model model in _models)
            {
                inFlight += model.Phase != Phase.Idle ? 1 : 0;
            }

            Invariant.Holds(protocol.InFlight == inFlight, $"{protocol.InFlight} calls in flight, the model has {inFlight}.");
        }

        for (int i = 0; i < _calls.Length; i++)
        {
            if (protocol.TryEnd(_calls[i]))
            {
                Finish(i);
            }

            _calls[i].Reset();
        }

        Invariant.Holds(protocol.InFlight == 0, "Calls stayed in flight after every call ended.");
        _epoch = now + 256 + Quarantine + 1; // past every deadline and quarantine of this input
        Invariant.Holds(_buffers.Outstanding == 0, $"{_buffers.Outstanding} packet buffers were never returned.");
    }

    public IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        // 0x80|k: start call k (request packets 1 + byte % 3, deadline byte); 0x0C|type<<4: a one-packet datagram
        // (policy byte, rid, order, payload length); 0x2C: a well-formed ACK (rid); 0x3C: a well-formed DROP; 0xC0|t: tick.
        yield return ("single-response", [0x80, 0x00, 0x20, 0x0C, 0x00, 0x00, 0x01, 0x04]);
        yield return ("ack-then-three-packet-response", [0x80, 0x02, 0x20, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x03, 0x04, 0x04, 0x00, 0x00, 0x01, 0x05, 0x08, 0x00, 0x00, 0x02, 0x06]);
        yield return ("drop", [0x80, 0x00, 0x20, 0x3C, 0x00]);
        yield return ("timeout", [0x80, 0x00, 0x01, 0xC5]);
        yield return ("cancel-and-late-response", [0x80, 0x00, 0x20, 0xA0, 0x0C, 0x00, 0x00, 0x01, 0x04]);
        yield return ("full", [0x80, 0x00, 0x20, 0x81, 0x00, 0x20, 0x82, 0x00, 0x20, 0x83, 0x00, 0x20, 0x84, 0x00, 0x20]);
    }

    private void Start(ClientProtocol protocol, int which, byte shape, long deadline)
    {
        which %= _calls.Length;
        ClientCall call = _calls[which];
        if (_models[which].Phase != Phase.Idle)
        {
            return;
        }

        call.Reset();
        int count = 1 + (shape % 3);
        PacketBuffer[] packets = new PacketBuffer[count];
        for (int i = 0; i < count; i++)
        {
            packets[i] = _buffers.Rent();
            (byte flags, ushort order) = Fragmenter.Numbering(i, count);
            R2P2Header.Write(packets[i].Storage, MessageType.Request, RoutingPolicy.LoadBalanced, flags, 0, order);
            packets[i].Length = R2P2Header.Size + 4;
            packets[i].Address = Server;
        }

        call.SetRequest(packets);
        int inFlight = protocol.InFlight;
        if (!protocol.TryStart(call, deadline, out PacketBuffer? first))
        {
            Invariant.Holds(inFlight == MaxInFlight, $"A call was refused with {inFlight} of {MaxInFlight} in flight.");
            call.Reset();
            return;
        }

        Invariant.Holds(first is not null && ReferenceEquals(first, packets[0]), "TryStart handed out another packet than the request's first.");
        Invariant.Holds(R2P2Header.TryRead(first!.Span, out R2P2Header header) == HeaderStatus.Valid && header.RequestId == call.RequestId, "The first packet does not carry the call's rid.");
        foreach (Model other in _models)
        {
            Invariant.Holds(other.Phase == Phase.Idle || other.RequestId != call.RequestId, $"Two calls in flight share rid {call.RequestId}.");
        }

        first.Return(); // sent
        _models[which] = new Model(count == 1 ? Phase.AwaitingResponse : Phase.AwaitingAck, call.RequestId, deadline, count, 0, []);
    }

    private void Receive(ClientProtocol protocol, ref FuzzInput input, byte op, scoped Span<byte> datagram)
    {
        var type = ((op >> 4) & 3) switch
        {
            0 => MessageType.Response,
            1 => MessageType.Response,
            2 => MessageType.Ack,
            _ => MessageType.Drop,
        };
        int serial = _payloadLengths.Count;
        int length;
        if ((op & 0x4C) == 0x0C && type is MessageType.Ack or MessageType.Drop)
        {
            ushort rid = RequestIdOf(input.Byte() % RequestIds);
            length = type == MessageType.Ack ? ControlMessages.WriteAck(datagram, rid) : ControlMessages.WriteDrop(datagram, rid);
        }
        else
        {
            length = DatagramScript.Write(ref input, op, type, RequestIds, serial, datagram);
            if ((op & 0x40) == 0)
            {
                R2P2Header.WriteRequestId(datagram, RequestIdOf(BinaryPrimitives.ReadUInt16BigEndian(datagram[4..])));
            }
        }

        _payloadLengths.Add(length - R2P2Header.Size);
        PacketAddress source = Sources[op & 3];
        PacketBuffer packet = _buffers.Datagram(datagram[..length], source);
        HeaderStatus status = R2P2Header.TryRead(packet.Span, out R2P2Header header);
        ClientCallEvent expected = Expect(status, header, source, packet.Span, out int which);
        ClientCallEvent actual = protocol.Receive(packet, out ClientCall? call);
        Invariant.Holds(actual == expected, $"Datagram {serial} ({status}, {header.Type}, rid {header.RequestId}, flags {header.Flags:X2}, order {header.PacketOrder}) gave {actual}; the client rules say {expected}.");
        Invariant.Holds(which < 0 ? call is null || actual == ClientCallEvent.Ignored : ReferenceEquals(call, _calls[which]), "The datagram was dispatched to another call than its rid's.");
        if (actual is not (ClientCallEvent.ResponsePacketStored or ClientCallEvent.Completed))
        {
            packet.Return();
        }

        if (which < 0)
        {
            return;
        }

        ref Model model = ref _models[which];
        ClientCall target = _calls[which];
        switch (actual)
        {
            case ClientCallEvent.SendContinuations:
                ReadOnlySpan<PacketBuffer> rest = target.TakeContinuations();
                Invariant.Holds(rest.Length == model.RequestPackets - 1, $"An ACK released {rest.Length} continuations of a {model.RequestPackets}-packet request.");
                for (int i = 0; i < rest.Length; i++)
                {
                    Invariant.Holds(rest[i].Address == source, "A continuation is not addressed to the ACK's source.");
                    Invariant.Holds(R2P2Header.TryRead(rest[i].Span, out R2P2Header h) == HeaderStatus.Valid && h.RequestId == model.RequestId && h.PacketOrder == i + 1, "A continuation lost its rid or numbering.");
                    rest[i].Return(); // sent
                }

                model.Phase = Phase.AwaitingResponse;
                break;
            case ClientCallEvent.ResponsePacketStored:
                model.Response.Add(serial);
                model.Expected = header.IsFirst ? header.PacketOrder : model.Expected;
                model.Phase = Phase.Receiving;
                Invariant.Holds(target.ResponsePackets.Length == model.Response.Count && model.Response.Count <= MaxResponsePackets, "The call holds another number of response packets than it accepted.");
                break;
            case ClientCallEvent.Completed:
                model.Response.Add(serial);
                CheckResponse(target, model.Response);
                Finish(which);
                break;
            case ClientCallEvent.Dropped or ClientCallEvent.Malformed:
                Finish(which);
                break;
        }
    }

    /// <summary>
    /// The rid a script's rid choice stands for: choices 0-4 name the rid of call 0-4 when it is in flight (rids are
    /// handed out in a permuted order, so a fixed number would rarely hit one), the others are themselves.
    /// </summary>
    private ushort RequestIdOf(int choice) =>
        choice < _models.Length && _models[choice].Phase != Phase.Idle ? _models[choice].RequestId : (ushort)choice;

    /// <summary>The client rules for one datagram (docs/design/r2p2.md, "Responses, DROP and FEEDBACK").</summary>
    private ClientCallEvent Expect(HeaderStatus status, in R2P2Header header, PacketAddress source, ReadOnlySpan<byte> datagram, out int which)
    {
        which = -1;
        if (status != HeaderStatus.Valid)
        {
            return ClientCallEvent.Ignored;
        }

        for (int i = 0; i < _models.Length; i++)
        {
            if (_models[i].Phase != Phase.Idle && _models[i].RequestId == header.RequestId)
            {
                which = i;
            }
        }

        if (which < 0)
        {
            return ClientCallEvent.Ignored;
        }

        Model model = _models[which];
        bool single = header.IsFirst && header.IsLast;
        if (header.Type is not (MessageType.Ack or MessageType.Drop or MessageType.Response))
        {
            return ClientCallEvent.Ignored;
        }

        if (source != Server)
        {
            return ClientCallEvent.Forged; // source binding (docs/security.md): only the destination answers
        }

        switch (header.Type)
        {
            case MessageType.Ack when model.Phase != Phase.AwaitingAck:
                return ClientCallEvent.Ignored;
            case MessageType.Ack:
                return single && datagram[R2P2Header.Size..].SequenceEqual("ACK"u8) ? ClientCallEvent.SendContinuations : ClientCallEvent.Malformed;
            case MessageType.Drop when !(model.Phase == Phase.AwaitingAck || (model.Phase == Phase.AwaitingResponse && model.RequestPackets == 1)):
                return ClientCallEvent.Ignored; // after the request was taken, a DROP is ignored
            case MessageType.Drop:
                return single && datagram[R2P2Header.Size..].SequenceEqual("DROP"u8)
                    ? ClientCallEvent.Dropped
                    : ClientCallEvent.Malformed;
            case MessageType.Response when model.Phase == Phase.AwaitingResponse && header.IsFirst:
                int count = header.IsLast ? 1 : header.PacketOrder;
                return count > MaxResponsePackets ? ClientCallEvent.Malformed : count == 1 ? ClientCallEvent.Completed : ClientCallEvent.ResponsePacketStored;
            case MessageType.Response when model.Phase == Phase.Receiving && !header.IsFirst && header.PacketOrder == model.Response.Count:
                bool final = header.PacketOrder == model.Expected - 1;
                return header.IsLast != final ? ClientCallEvent.Malformed : final ? ClientCallEvent.Completed : ClientCallEvent.ResponsePacketStored;
            case MessageType.Response:
                return ClientCallEvent.Malformed;
            default:
                return ClientCallEvent.Ignored;
        }
    }

    private void CheckResponse(ClientCall call, List<int> serials)
    {
        byte[] payload = call.ResponsePayload().ToArray();
        int offset = 0;
        foreach (int serial in serials)
        {
            DatagramScript.CheckPayload(payload.AsSpan(offset), serial, _payloadLengths[serial], "a completed response");
            offset += _payloadLengths[serial];
        }

        Invariant.Holds(offset == payload.Length, $"A completed response has {payload.Length - offset} bytes of no packet.");
    }

    /// <summary>The call ended (completed, dropped, malformed, expired, cancelled): it is out of flight; give its buffers back.</summary>
    private void Finish(int which)
    {
        Invariant.Holds(_calls[which].State == CallState.Ended, $"A call out of flight is {_calls[which].State}, not ended.");
        _calls[which].Reset();
        _models[which] = default;
    }

    private struct Model(Phase phase, ushort requestId, long deadline, int requestPackets, int expected, List<int> response)
    {
        public Phase Phase = phase;
        public ushort RequestId = requestId;
        public long Deadline = deadline;
        public int RequestPackets = requestPackets;
        public int Expected = expected;
        public List<int> Response = response;
    }
}
