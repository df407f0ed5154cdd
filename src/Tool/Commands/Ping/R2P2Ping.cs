using System;
using System.Diagnostics;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using TailGuard.R2P2;
using TailGuard.Tool.Cli;
using TailGuard.Transport.Xdp;

namespace TailGuard.Tool.Commands.Ping;

/// <summary>
/// A closed-loop R2P2 client: one call at a time, each timed. Continuations run inline on the client's receive loop,
/// so after the first await the whole loop runs on that one thread (as the raw UDP loop runs on one thread).
/// </summary>
internal static class R2P2Ping
{
    public static async Task<PingReport> RunAsync(PingSettings settings, ILogger? logger = null)
    {
        var options = new R2P2ClientOptions
        {
            ReceiveMode = settings.Mode,
            RunContinuationsAsynchronously = false,
            Timeout = settings.Timeout,
            ResponseSources = settings.ViaRouter ? ResponseSources.AnyServer : ResponseSources.Destination,
        };
        await using var client = settings.Xdp is { } xdp ? CreateXdp(settings, xdp, options, logger) : R2P2Client.CreateUdp(settings.Server, options);
        var payload = new byte[settings.Size];
        Random.Shared.NextBytes(payload);
        var report = new PingReport();
        if (!await LoopAsync(client, payload, settings.WarmUp, report, measure: false, settings.Verify))
        {
            report.AbortReason = settings.NoResponse;
            return report;
        }

        report.WarmUpCalls = settings.WarmUp;
        report.StartAllocationWindow();
        var completed = await LoopAsync(client, payload, settings.Count, report, measure: true, settings.Verify);
        report.EndAllocationWindow();
        if (!completed)
        {
            report.AbortReason = settings.NoResponse;
        }

        return report;
    }

    /// <summary>Runs <paramref name="count"/> calls; false when it gave up after consecutive timeouts.</summary>
    private static async Task<bool> LoopAsync(R2P2Client client, ReadOnlyMemory<byte> payload, int count, PingReport report, bool measure, bool verify)
    {
        var timeoutsInARow = 0;
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                using var response = await client.CallAsync(payload);
                timeoutsInARow = 0;
                if (response.Payload.Length != payload.Length || (verify && !SequenceEquals(response, payload.Span)))
                {
                    report.WrongLength++;
                    continue;
                }
            }
            catch (R2P2Exception error)
            {
                if (!report.CountFailure(error))
                {
                    timeoutsInARow = 0;
                }
                else if (++timeoutsInARow >= PingSettings.TimeoutsInARow)
                {
                    return false;
                }

                continue;
            }

            if (measure)
            {
                report.Record(start, Stopwatch.GetTimestamp());
            }
        }

        return true;
    }

    /// <summary>A client over AF_XDP (the factory logs its interface and modes, or the fallback to a UDP socket).</summary>
    private static R2P2Client CreateXdp(PingSettings settings, XdpTarget xdp, R2P2ClientOptions options, ILogger? logger)
    {
        try
        {
            var fallback = settings.XdpFallback ? XdpFallback.UdpSockets : XdpFallback.None;
            return R2P2Client.CreateXdp(PacketAddress.FromEndPoint(settings.Server), xdp.ToOptions(listen: null, settings.Mode), options, fallback, logger);
        }
        catch (XdpException error)
        {
            throw new ToolException($"cannot ping {settings.Server} over AF_XDP on {xdp}: {error.Message}", error);
        }
    }

    private static bool SequenceEquals(in R2P2Response response, ReadOnlySpan<byte> expected)
    {
        var offset = 0;
        foreach (var segment in response.Payload)
        {
            if (!segment.Span.SequenceEqual(expected.Slice(offset, segment.Length)))
            {
                return false;
            }

            offset += segment.Length;
        }

        return true;
    }
}
