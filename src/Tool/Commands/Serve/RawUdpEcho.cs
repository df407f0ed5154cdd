using System;
using System.Diagnostics;
using System.Threading;
using TailGuard.R2P2;

namespace TailGuard.Tool.Commands.Serve;

/// <summary>
/// Plain UDP echo, the machine's limit: the same sockets, system calls and waiting discipline as R2P2's transport,
/// without the protocol; every datagram goes back to its source.
/// </summary>
internal static class RawUdpEcho
{
    /// <summary>Echoes datagrams on the calling thread until <paramref name="stop"/> is cancelled.</summary>
    public static void Serve(UdpTransport transport, ReceiveMode mode, TimeSpan spinBudget, CancellationToken stop)
    {
        // The receive loop's three modes, so the raw echo waits as an R2P2 server in the same mode does (docs/r2p2.md).
        var budget = (long)(spinBudget.TotalSeconds * Stopwatch.Frequency);
        var spinUntil = 0L;
        var buffers = new PacketBuffer[32];
        for (var i = 0; i < buffers.Length; i++)
        {
            buffers[i] = transport.Rent(transport.MaxDatagramSize);
        }

        while (!stop.IsCancellationRequested)
        {
            var spin = mode == ReceiveMode.BusyPoll || (mode == ReceiveMode.Adaptive && Stopwatch.GetTimestamp() < spinUntil);
            var received = transport.Receive(buffers, spin ? 0 : 50);
            if (received > 0)
            {
                spinUntil = Stopwatch.GetTimestamp() + budget;
                // Each buffer's address is its source. Sending hands the buffers to the transport: refill their slots.
                transport.Send(buffers.AsSpan(0, received));
                for (var i = 0; i < received; i++)
                {
                    buffers[i] = transport.Rent(transport.MaxDatagramSize);
                }
            }
        }

        foreach (var buffer in buffers)
        {
            buffer.Return();
        }
    }
}
