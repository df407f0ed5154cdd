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
                var report = new PingReport();
        if (!Loop(transport, send, receive, settings, settings.WarmUp, report, measure: false))
        {
            report.AbortReason = settings.NoResponse;
            return report;
        }

        report.WarmUpCalls = settings.WarmUp;
        report.StartAllocationWindow();
        var completed = Loop(transport, send, receive, settings, settings.Count, report, measure: true);
        report.EndAllocationWindow();
        if (!completed)
        {
            report.AbortReason = settings.NoResponse;
        }

        return report;
    }

    private static bool Loop(UdpTransport transport, PacketBuffer[] send, PacketBuffer[] receive, PingSettings settings, int count, PingReport report, bool measure)
    {
        // Waits for the echo as an R2P2 client's loop in the same mode would: an adaptive one polls for its spin budget
        // after each send, then blocks (docs/r2p2.md, "Receive modes").
        var budget = (long)(ReceiveLoopOptions.DefaultSpinBudget.TotalSeconds * Stopwatch.Frequency);
        var timeout = (long)(settings.Timeout.TotalSeconds * Stopwatch.Frequency);
        var timeoutsInARow = 0;
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            transport.Send(send);
            var received = 0;
            while (received == 0 && Stopwatch.GetTimestamp() - start < timeout)
            {
                var spin = settings.Mode == ReceiveMode.BusyPoll || (settings.Mode == ReceiveMode.Adaptive && Stopwatch.GetTimestamp() - start < budget);
                received = transport.Receive(receive, spin ? 0 : 100);
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
