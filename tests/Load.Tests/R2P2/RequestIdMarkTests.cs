using System.Collections.Generic;
using System.Net;
using TailGuard.Load.R2P2;
using TailGuard.R2P2;

namespace TailGuard.Load.Tests.R2P2;

/// <summary>
/// A batch's flush carries the first packets of several calls in one send: each marked call is told the request id of
/// its own packet (the packet at its index), so its latency ends at that packet's answer (docs/load.md, "Batched sends").
/// </summary>
public sealed class RequestIdMarkTests
{
    [Fact]
    public void Each_call_marked_for_a_batch_send_is_told_the_request_id_of_its_own_packet()
    {
        using var silent = UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var transport = new ClockTimestampingTransport(UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
        var first = new Listener();
        var third = new Listener();

        // The second packet's call wants no id (null), as a slot whose call made no request.
        TimestampingTransport.BeginSend(new IRequestIdListener?[] { first, null, third, null });
        transport.Send(Packets(transport, silent.LocalAddress, 0x0102, 0x0304, 0xFFFE));
        TimestampingTransport.EndSend();

        Assert.Equal(new ushort[] { 0x0102 }, first.Told);
        Assert.Equal(new ushort[] { 0xFFFE }, third.Told);

        // The marks are used once: the next send tells nobody.
        transport.Send(Packets(transport, silent.LocalAddress, 7));
        Assert.Single(first.Told);
        Assert.Single(third.Told);
    }

    private static PacketBuffer[] Packets(PacketTransport transport, PacketAddress to, params ushort[] requestIds)
    {
        var packets = new PacketBuffer[requestIds.Length];
        for (var i = 0; i < packets.Length; i++)
        {
            packets[i] = transport.Rent(64);
            packets[i].Length = 8; // an R2P2 header's size; the request id is bytes 4-5, big-endian (docs/wire-format.md)
            packets[i].Span.Clear();
            packets[i].Span[4] = (byte)(requestIds[i] >> 8);
            packets[i].Span[5] = (byte)requestIds[i];
            packets[i].Address = to;
        }

        return packets;
    }

    private sealed class Listener : IRequestIdListener
    {
        public List<ushort> Told { get; } = [];

        public void OnRequestId(ushort requestId) => Told.Add(requestId);
    }
}
