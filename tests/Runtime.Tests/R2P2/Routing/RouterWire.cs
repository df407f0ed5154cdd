using System;
using System.Collections.Generic;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Routing;

/// <summary>Hand-built router traffic: FEEDBACK bytes independent of the runtime's codec, and request buffers as a loop receives them.</summary>
public static class RouterWire
{
    /// <summary>
    /// The FEEDBACK of docs/design/r2p2.md and docs/router.md: header 0xCC 08 20 00 00 00 00 00, rid, client port, then
    /// the client's address: 4 bytes (16 in all) for IPv4, 16 bytes (28 in all) for IPv6.
    /// </summary>
    public static byte[] Feedback(ushort rid, PacketAddress client)
    {
        var ip = client.ToEndPoint().Address.GetAddressBytes();
        var bytes = new byte[12 + ip.Length];
        bytes[0] = 0xCC;
        bytes[1] = 8;
        bytes[2] = 0x20;
        bytes[8] = (byte)(rid >> 8);
        bytes[9] = (byte)rid;
        bytes[10] = (byte)(client.Port >> 8);
        bytes[11] = (byte)client.Port;
        ip.CopyTo(bytes, 12);
        return bytes;
    }

    /// <summary>A received request's first packet in a standalone buffer, its source the client.</summary>
    public static PacketBuffer Received(PacketAddress client, ushort rid, byte typePolicy = Wire.Request, int payload = 4)
    {
        var bytes = Wire.Packet(typePolicy, Wire.OnePacket, rid, 1, Payloads.Make(payload, rid));
        var buffer = new PacketBuffer(1472) { Address = client, Length = bytes.Length };
        bytes.CopyTo(buffer.Storage);
        return buffer;
    }

    public static PacketAddress Host(int host, ushort port = 9000) => new(0x0A000000u | (uint)host, port);
}

/// <summary>Records what the scheduler decided, in order, with the bytes as they were when handed over.</summary>
internal sealed class RecordingOutput : IRouterOutput
{
    public List<(PacketAddress Client, ushort Rid, PacketAddress Server)> Forwards { get; } = [];

    public List<(PacketAddress Client, byte[] Bytes)> Replies { get; } = [];

    public void Forward(PacketBuffer request, PacketAddress server)
        => Forwards.Add((request.Address, (ushort)((request.Span[4] << 8) | request.Span[5]), server));

    public void Reply(PacketBuffer message) => Replies.Add((message.Address, message.Span.ToArray()));

    public void Clear()
    {
        Forwards.Clear();
        Replies.Clear();
    }
}
