using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using TailGuard.R2P2;
using TailGuard.R2P2.Security;

namespace TailGuard.Benchmarks.R2P2;

/// <summary>
/// What the authenticated mode (docs/security.md) adds per call, and that the default mode is unchanged: closed-loop
/// calls over UDP loopback, client and server in this process, each call timed on its own. Rounds alternate the modes
/// (and their order) so a busy machine's drift hits both alike; the report is the median over rounds of each round's
/// p50 and p99, and the bytes allocated per call over the whole process.
/// Run: <c>dotnet run -c Release --project benchmarks/TailGuard.Benchmarks -- r2p2-auth [ROUNDS] [CALLS] [MODE]</c>, MODE a
/// <see cref="ReceiveMode"/> for both receive loops (by default the library's own, adaptive)
/// (or benchmarks/scripts/r2p2-security.sh, which records the load average beside the numbers).
/// </summary>
internal static class AuthenticatedModeLatency
{
    private static readonly int[] Sizes = [64, 1024];

    public static int Run(string[] args, TextWriter output)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 7;
        var calls = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000;
        var receiveMode = new R2P2ClientOptions().ReceiveMode;
        if (rounds < 1 || calls < 100 || (args.Length > 2 && !(Enum.TryParse(args[2], ignoreCase: true, out receiveMode) && Enum.IsDefined(receiveMode))))
        {
            output.WriteLine("usage: r2p2-auth [ROUNDS >= 1] [CALLS >= 100] [MODE: blocking, adaptive or busypoll]");
            return 2;
        }

        var results = new Dictionary<(bool Authenticated, int Size), List<(double P50, double P99, double Bytes)>>();
        using var key = R2P2Key.Generate(1);
        for (var round = 0; round < rounds; round++)
        {
            var order = round % 2 == 0 ? new[] { null, key } : [key, null];
            foreach (var roundKey in order)
            {
                // One client and server at a time: busy-polled loops of an idle pair would take the cores from the pair measured.
                using var setup = new Setup(roundKey, receiveMode);
                foreach (var size in Sizes)
                {
                    var sample = setup.Measure(size, calls);
                    var slot = (setup.Authenticated, size);
                    if (!results.TryGetValue(slot, out var list))
                    {
                        results[slot] = list = [];
                    }

                    list.Add(sample);
                }
            }
        }

        output.WriteLine($"{rounds} rounds of {calls} closed-loop calls per mode and size, UDP loopback, {receiveMode} receive loops; medians over rounds");
        output.WriteLine("mode           size   p50 us   p99 us   B/call");
        foreach (var size in Sizes)
        {
            foreach (var mode in new[] { false, true })
            {
                var list = results[(mode, size)];
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(mode ? "authenticated" : "default"),-13} {size,5} {Median(list.Select(s => s.P50)),8:F2} {Median(list.Select(s => s.P99)),8:F2} {Median(list.Select(s => s.Bytes)),8:F1}"));
            }

            var added = Median(results[(true, size)].Zip(results[(false, size)], (a, d) => a.P50 - d.P50));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  added by the authenticated mode at {size} B: {added:F2} us at p50 (median of per-round differences)"));
        }

        return 0;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private sealed class Setup : IDisposable
    {
        private static readonly R2P2PayloadWriter<int> Fill = static (IBufferWriter<byte> writer, in int size) =>
        {
            writer.GetSpan(size)[..size].Fill(0x5A);
            writer.Advance(size);
        };

        private readonly R2P2Server _server;
        private readonly R2P2Client _client;
        private long[] _latencies = [];

        public Setup(R2P2Key? key, ReceiveMode mode)
        {
            Authenticated = key is not null;
            _server = R2P2Server.CreateUdp(
                new IPEndPoint(IPAddress.Loopback, 0),
                new Echo(),
                new R2P2ServerOptions { AuthenticationKeys = key is null ? null : new R2P2KeyRing(key), ReceiveMode = mode });
            _client = R2P2Client.CreateUdp(_server.LocalAddress.ToEndPoint(), new R2P2ClientOptions { AuthenticationKey = key, ReceiveMode = mode });
        }

        public bool Authenticated { get; }

        public (double P50, double P99, double Bytes) Measure(int size, int calls)
        {
            for (var i = 0; i < Math.Min(calls, 5000); i++)
            {
                Call(size);
            }

            if (_latencies.Length < calls)
            {
                _latencies = new long[calls];
            }

            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < calls; i++)
            {
                var start = Stopwatch.GetTimestamp();
                Call(size);
                _latencies[i] = Stopwatch.GetTimestamp() - start;
            }

            var bytes = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)calls;
            Array.Sort(_latencies, 0, calls);
            double Micros(long ticks) => ticks * 1e6 / Stopwatch.Frequency;
            return (Micros(_latencies[calls / 2]), Micros(_latencies[(int)(calls * 0.99)]), bytes);
        }

        public void Dispose()
        {
            _client.Dispose();
            _server.Dispose();
        }

        private void Call(int size)
        {
            using var response = Spin.Result(_client.CallAsync(size, Fill));
            if (response.Payload.Length != size)
            {
                throw new InvalidOperationException($"The echo answered {response.Payload.Length} bytes for {size}.");
            }
        }
    }

    private sealed class Echo : IR2P2Handler
    {
        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            foreach (var segment in request.Payload)
            {
                response.Write(segment.Span);
            }
        }
    }
}
