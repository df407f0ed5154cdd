using System;
using System.Buffers;
using TailGuard.R2P2;

namespace TailGuard.EndToEnd.Tests.Infrastructure;

/// <summary>Calls a handler directly, as a server's receive loop would, and returns the response bytes.</summary>
internal static class DispatcherProbe
{
    public static byte[] Call(IR2P2Handler handler, ReadOnlyMemory<byte> payload)
        => Call(handler, new ReadOnlySequence<byte>(payload));

    public static byte[] Call(IR2P2Handler handler, ReadOnlySequence<byte> payload)
    {
        var response = new ArrayBufferWriter<byte>();
        handler.Handle(new R2P2Request(payload, requestId: 1, RoutingPolicy.LoadBalanced), response);
        return response.WrittenSpan.ToArray();
    }

    /// <summary>A request payload: the method id, then raw argument bytes.</summary>
    public static byte[] Request(ushort methodId, params byte[] arguments)
    {
        byte[] payload = new byte[2 + arguments.Length];
        payload[0] = (byte)methodId;
        payload[1] = (byte)(methodId >> 8);
        arguments.CopyTo(payload, 2);
        return payload;
    }

    /// <summary>A u32 little-endian length followed by <paramref name="bytes"/>.</summary>
    public static byte[] Block(uint length, params byte[] bytes)
    {
        byte[] block = new byte[4 + bytes.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(block, length);
        bytes.CopyTo(block, 4);
        return block;
    }

    public static byte[] Concat(params byte[][] parts)
    {
        var all = new System.Collections.Generic.List<byte>();
        foreach (byte[] part in parts)
        {
            all.AddRange(part);
        }

        return all.ToArray();
    }
}
