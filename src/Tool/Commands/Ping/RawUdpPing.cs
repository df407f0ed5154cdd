using System;
using System.Diagnostics;
using System.Net;
using TailGuard.R2P2;

namespace TailGuard.Tool.Commands.Ping;

/// <summary>Plain UDP ping-pong against a plain UDP echo: the same sockets and waiting discipline as R2P2, no protocol.</summary>
internal static class RawUdpPing
{
    public static PingReport Run(PingSettings settings)
    {
        using var transport = UdpTransport.Bind(new IPEndPoint(IPAddress.IsLoopback(settings.Server.Address) ? IPAddress.Loopback : IPAddress.Any, 0));
        // A standalone request (no owner): sending hands a buffer to the transport, which returns owned buffers to their
        // pool, so the one request sent every round must belong to nobody.
        var request = new PacketBuffer(Math.Max(settings.Size, 64) + 64);
        request.Length = settings.Size;
        request.Address = PacketAddress.FromEndPoint(settings.Server);
        Random.Shared.NextBytes(request.Span);
        PacketBuffer[] send = [request];
        PacketBuffer[] receive = [transport.Rent(Math.Max(settings.Size, 64) + 64)];
        var busyPoll = settings.Mode == ReceiveMode.BusyPoll;
        var report = new PingReport();
        if (!Loop(transport, send, receive, settings, settings.WarmUp, busyPoll, report, measure: false))
        {
            report.AbortReason = settings.NoResponse;
            return report;
        }

        report.WarmUpCalls = settings.WarmUp;
        report.StartAllocationWindow();
        var completed = Loop(transport, send, receive, settings, settings.Count, busyPoll, report, measure: true);
        report.EndAllocationWindow();
        if (!completed)
        {
            report.AbortReason = settings.NoResponse;
        }

        return report;
    }

    private static bool Loop(UdpTransport transport, PacketBuffer[] send, PacketBuffer[] receive, PingSettings settings, int count, bool busyPoll, PingReport report, bool measure)
    {
        var timeout = (long)(settings.Timeout.TotalSeconds * Stopwatch.Frequency);
        var timeoutsInARow = 0;
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            transport.Send(send);
            var received = 0;
            while (received == 0 && Stopwatch.GetTimestamp() - start < timeout)
            {
                received = transport.Receive(receive, busyPoll ? 0 : 100);
            }

            if (received == 0)
            {
                report.Timeouts++;
                if (++timeoutsInARow >= PingSettings.TimeoutsInARow)
                {
                    return false;
                }

                continue;
            }

            timeoutsInARow = 0;
            if (receive[0].Length != send[0].Length)
            {
                report.WrongLength++;
                continue;
            }

            if (measure)
            {
                report.Record(start, Stopwatch.GetTimestamp());
            }
        }

        return true;
    }
}
