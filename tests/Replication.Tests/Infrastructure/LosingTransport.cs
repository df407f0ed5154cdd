using System;
using System.Threading;
using TailGuard.R2P2;

namespace TailGuard.Replication.Tests.Infrastructure;

/// <summary>
/// Fault injection on a client's socket: a real transport that loses every datagram of the first send batch
/// <c>loses</c> picks (as a full socket buffer or a lossy link would), and passes everything else through.
/// Memory stays the inner transport's (a lost buffer is given back).
/// </summary>
internal sealed class LosingTransport(PacketTransport inner, Func<PacketBuffer, bool> loses) : ForwardingTransport(inner)
{
    private int _lost;

    /// <summary>Datagrams lost so far.</summary>
    public int Lost => Volatile.Read(ref _lost);

    public override void Send(ReadOnlySpan<PacketBuffer> packets)
    {
        var batchLoses = false;
        if (Volatile.Read(ref _lost) == 0)
        {
            foreach (var packet in packets)
            {
                batchLoses |= loses(packet);
            }
        }

        if (!batchLoses || Interlocked.CompareExchange(ref _lost, packets.Length, 0) != 0)
        {
            Inner.Send(packets);
            return;
        }

        ReturnAll(packets);
    }
}
