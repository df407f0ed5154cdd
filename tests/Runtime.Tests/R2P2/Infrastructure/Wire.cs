using System;

namespace TailGuard.Tests.R2P2.Infrastructure;

/// <summary>Hand-built R2P2 datagrams, independent of the runtime's codec.</summary>
public static class Wire
{
    public const byte Request = 0x00;
    public const byte RequestFixed = 0x01;
    public const byte Response = 0x11;
    public const byte First = 0x80;
    public const byte Last = 0x40;
    public const byte OnePacket = 0xC0;

    public static byte[] Packet(byte typePolicy, byte flags, ushort rid, ushort order, ReadOnlySpan<byte> payload = default)
    {
        var bytes = new byte[8 + payload.Length];
        bytes[0] = 0xCC;
        bytes[1] = 8;
        bytes[2] = typePolicy;
        bytes[3] = flags;
        bytes[4] = (byte)(rid >> 8);
        bytes[5] = (byte)rid;
        bytes[6] = (byte)(order >> 8);
        bytes[7] = (byte)order;
        payload.CopyTo(bytes.AsSpan(8));
        return bytes;
    }

    /// <summary>A request split the R2P2 way: 14 bytes in packet 0, then 1464 per packet.</summary>
    public static byte[][] SplitRequest(byte[] payload, ushort rid, byte typePolicy = Request)
    {
        if (payload.Length <= 1464)
        {
            return [Packet(typePolicy, OnePacket, rid, 1, payload)];
        }

        var count = 1 + ((payload.Length - 14 + 1463) / 1464);
        var packets = new byte[count][];
        packets[0] = Packet(typePolicy, First, rid, (ushort)count, payload.AsSpan(0, 14));
        for (var i = 1; i < count; i++)
        {
            var offset = 14 + ((i - 1) * 1464);
            var length = Math.Min(1464, payload.Length - offset);
            packets[i] = Packet(typePolicy, i == count - 1 ? Last : (byte)0, rid, (ushort)i, payload.AsSpan(offset, length));
        }

        return packets;
    }
}
