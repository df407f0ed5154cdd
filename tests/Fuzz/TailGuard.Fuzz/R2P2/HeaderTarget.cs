using System;
using System.Collections.Generic;
using TailGuard.Fuzz.Harness;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;

namespace TailGuard.Fuzz.R2P2;

/// <summary>
/// <see cref="R2P2Header.TryRead"/> and the control-message readers on one datagram. Invariants: the verdict equals the
/// header rules of docs/design/r2p2.md checked independently here; a valid header writes back to the same 8 bytes; the
/// verdict depends on the first 8 bytes only (nothing past the header, nothing past the datagram, is read); a parsed
/// FEEDBACK writes back to what it read.
/// </summary>
internal sealed class HeaderTarget : IFuzzTarget
{
    public string Name => "header";

    public void Run(ReadOnlySpan<byte> input)
    {
        HeaderStatus status = R2P2Header.TryRead(input, out R2P2Header header);
        Invariant.Holds(status == Expected(input), $"TryRead said {status}, the header rules say {Expected(input)}.");
        if (input.Length >= R2P2Header.Size)
        {
            Invariant.Holds(R2P2Header.TryRead(input[..R2P2Header.Size], out R2P2Header alone) == status && alone == header, "The verdict depends on bytes past the header.");
        }

        if (status == HeaderStatus.Valid)
        {
            Span<byte> written = stackalloc byte[R2P2Header.Size];
            header.Write(written);
            Invariant.Holds(written.SequenceEqual(input[..R2P2Header.Size]), "A valid header does not write back to its own bytes.");
            _ = ControlMessages.IsWellFormedAck(input, header);
            _ = ControlMessages.IsWellFormedDrop(input, header);
        }

        if (ControlMessages.TryReadFeedback(input, out ushort requestId, out PacketAddress client))
        {
            Span<byte> feedback = stackalloc byte[ControlMessages.FeedbackIPv6Length];
            int written = ControlMessages.WriteFeedback(feedback, requestId, client);
            Invariant.Holds(
                ControlMessages.TryReadFeedback(feedback[..written], out ushort again, out PacketAddress againClient) && again == requestId && againClient == client,
                "A FEEDBACK read does not survive writing and reading again.");
        }
    }

    public IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        byte[] Header(MessageType type, byte flags, ushort order, int payload = 0)
        {
            byte[] bytes = new byte[R2P2Header.Size + payload];
            R2P2Header.Write(bytes, type, RoutingPolicy.LoadBalanced, flags, 0x1234, order);
            return bytes;
        }

        yield return ("request-single", Header(MessageType.Request, R2P2Header.FlagsSingle, 1, 4));
        yield return ("request-first-of-3", Header(MessageType.Request, R2P2Header.FlagFirst, 3, 14));
        yield return ("request-middle", Header(MessageType.Request, 0, 1, 16));
        yield return ("request-last", Header(MessageType.Request, R2P2Header.FlagLast, 2, 16));
        yield return ("response-single", Header(MessageType.Response, R2P2Header.FlagsSingle, 1, 1));
        byte[] ack = new byte[ControlMessages.AckLength];
        ControlMessages.WriteAck(ack, 7);
        yield return ("ack", ack);
        byte[] drop = new byte[ControlMessages.DropLength];
        ControlMessages.WriteDrop(drop, 7);
        yield return ("drop", drop);
        byte[] feedback = new byte[ControlMessages.FeedbackLength];
        ControlMessages.WriteFeedback(feedback, 7, new PacketAddress(0x7F000001, 9000));
        yield return ("feedback", feedback);
        byte[] feedback6 = new byte[ControlMessages.FeedbackIPv6Length];
        ControlMessages.WriteFeedback(feedback6, 7, PacketAddress.Parse("[fd00::2]:9000"));
        yield return ("feedback-ipv6", feedback6);
        yield return ("short", [R2P2Header.Magic, R2P2Header.Size, 0]);
    }

    /// <summary>The header rules, written out from docs/design/r2p2.md ("The header") without the decoder's code.</summary>
    private static HeaderStatus Expected(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < 8)
        {
            return HeaderStatus.TooShort;
        }

        int type = datagram[2] >> 4;
        byte flags = datagram[3];
        int order = (datagram[6] << 8) | datagram[7];
        bool first = (flags & 0x80) != 0;
        bool last = (flags & 0x40) != 0;
        return datagram[0] != 0xCC ? HeaderStatus.BadMagic
            : datagram[1] != 8 ? HeaderStatus.BadHeaderSize
            : type > 7 ? HeaderStatus.UnknownType
            : (flags & 0x3F) != 0 ? HeaderStatus.BadFlags
            : type == 2 ? HeaderStatus.Valid // FEEDBACK carries no packet order
            : order == 0 ? HeaderStatus.ZeroPacketOrder
            : (first && last && order != 1) || (first && !last && order < 2) ? HeaderStatus.InconsistentPacketOrder
            : HeaderStatus.Valid;
    }
}
