using System;
using System.Diagnostics;
using System.Net;
using System.Threading.Tasks;
using TailGuard.R2P2;

namespace TailGuard.Samples.Echo;

/// <summary>
/// A closed-loop R2P2 client: one call at a time, each timed. Continuations run inline on the client's receive loop,
/// so after the first await the whole loop runs on that one thread (as the raw UDP loop runs on one thread).
/// </summary>
internal static class R2P2Ping
{
    public static async Task<LatencyReport> RunAsync(IPEndPoint server, int count, int size, bool busyPoll, bool verify)
    {
        var options = new R2P2ClientOptions
        {
            ReceiveMode = busyPoll ? ReceiveMode.BusyPoll : ReceiveMode.Blocking,
            RunContinuationsAsynchronously = false,
            Timeout = TimeSpan.FromSeconds(1),
        };
        await using var client = R2P2Client.CreateUdp(server, options);
        var payload = new byte[size];
        Random.Shared.NextBytes(payload);
        var report = new LatencyReport();
        await LoopAsync(client, payload, Math.Max(1_000, count / 10), null, verify);
        report.StartAllocationWindow();
        await LoopAsync(client, payload, count, report, verify);
        report.EndAllocationWindow();
        return report;
    }

    private static async Task LoopAsync(R2P2Client client, ReadOnlyMemory<byte> payload, int count, LatencyReport? report, bool verify)
    {
        long errors = 0;
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                using var response = await client.CallAsync(payload);
                if (response.Payload.Length != payload.Length || (verify && !SequenceEquals(response, payload.Span)))
                {
                    errors++;
                    continue;
                }
            }
            catch (R2P2Exception)
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
