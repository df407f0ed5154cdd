using System;
using System.Diagnostics;
using System.Net;
using System.Threading;
using TailGuard.R2P2;

namespace TailGuard.Samples.Echo;

/// <summary>
/// Plain UDP ping-pong, the machine's limit: the same sockets, system calls and waiting discipline as R2P2 (UdpTransport),
/// without the protocol. The echo sends every datagram back to its source.
/// </summary>
internal static class RawUdp
{
    public static LatencyReport Ping(IPEndPoint echo, int count, int size, bool busyPoll, int warmUp = 20_000)
    {
        using var transport = UdpTransport.Bind(new IPEndPoint(IPAddress.IsLoopback(echo.Address) ? IPAddress.Loopback : IPAddress.Any, 0));
        var pool = new PacketBufferPool(Math.Max(size, 64) + 64);
        var request = new PacketBuffer(Math.Max(size, 64) + 64); // standalone: sending returns it to nobody, so it is resent as is
        request.Length = size;
        request.Address = PacketAddress.FromEndPoint(echo);
        Random.Shared.NextBytes(request.Span);
        PacketBuffer[] send = [request];
        PacketBuffer[] receive = [pool.Rent()];
        var report = new LatencyReport();
        Loop(transport, send, receive, Math.Max(warmUp, count / 10), busyPoll, null);
        report.StartAllocationWindow();
        Loop(transport, send, receive, count, busyPoll, report);
        report.EndAllocationWindow();
        return report;
    }

    /// <summary>Echoes datagrams until <paramref name="stop"/> is cancelled, on the calling thread.</summary>
    public static void Serve(UdpTransport transport, bool busyPoll, CancellationToken stop)
    {
        var pool = new PacketBufferPool(65_536);
        var buffers = new PacketBuffer[32];
        for (var i = 0; i < buffers.Length; i++)
        {
            buffers[i] = pool.Rent();
        }

        while (!stop.IsCancellationRequested)
        {
            var received = transport.Receive(buffers, busyPoll ? 0 : 50);
            if (received > 0)
            {
                transport.Send(buffers.AsSpan(0, received)); // each buffer's address is its source; sending hands it back
                for (var i = 0; i < received; i++)
                {
                    buffers[i] = pool.Rent();
                }
            }
        }
    }

    private static void Loop(UdpTransport transport, PacketBuffer[] send, PacketBuffer[] receive, int count, bool busyPoll, LatencyReport? report)
    {
        long errors = 0;
        var timeout = Stopwatch.Frequency; // one second, like the R2P2 call timeout
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            transport.Send(send);
            var received = 0;
            while (received == 0 && Stopwatch.GetTimestamp() - start < timeout)
            {
                received = transport.Receive(receive, busyPoll ? 0 : 100);
            }

            if (received == 0 || receive[0].Length != send[0].Length)
            {
                errors++;
                continue;
            }

            report?.Record(start, Stopwatch.GetTimestamp());
        }

        if (report is not null)
        {
            report.Errors = errors;
        }
    }
}
