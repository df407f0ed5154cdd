using System;
using System.Threading;
using TailGuard.R2P2;

namespace TailGuard.Replication.Tests.Infrastructure;

/// <summary>
/// Fault injection on a client's socket, on the way in: a real transport that loses the first received datagram
/// <c>loses</c> picks (given its ordinal among the datagrams received so far, from 1), as a lossy link would lose an
/// answer after the server acted on the request. Everything else passes through; the lost datagram's buffer stays in the
/// caller's receive slots, as the transport contract allows.
/// </summary>
internal sealed class ReplyLosingTransport(PacketTransport inner, Func<int, PacketBuffer, bool> loses) : ForwardingTransport(inner)
{
    private int _received;
    private int _lost;

    /// <summary>Datagrams lost so far (0 or 1).</summary>
    public int Lost => Volatile.Read(ref _lost);

    public override int Receive(Span<PacketBuffer> buffers, int timeoutMilliseconds)
    {
        var count = Inner.Receive(buffers, timeoutMilliseconds);
        for (var i = 0; i < count; i++)
        {
            if (Volatile.Read(ref _lost) == 0 && loses(++_received, buffers[i]))
            {
                Volatile.Write(ref _lost, 1);
                (buffers[i], buffers[count - 1]) = (buffers[count - 1], buffers[i]);
                return count - 1; // at most one is lost, so nothing after the swapped-in datagram needs a look
            }
        }

        return count;
    }
}
