using System;
using System.Buffers;
using System.Net;
using BenchmarkDotNet.Attributes;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;

namespace TailGuard.Benchmarks.R2P2;

/// <summary>
/// One closed-loop 64-byte call, client and server in this process (blocking receive loops), over the in-memory network
/// and over UDP loopback. Latency percentiles under a realistic discipline come from `samples/Echo ping`; this measures
/// the mean cost and the allocations per call.
/// </summary>
[MemoryDiagnoser]
public class R2P2CallBenchmarks : IDisposable
{
    private static readonly R2P2PayloadWriter<int> Write64 = static (IBufferWriter<byte> writer, in int value) =>
    {
        writer.GetSpan(64)[..64].Fill((byte)value);
        writer.Advance(64);
    };

    private R2P2Server _server = null!;
    private R2P2Client _client = null!;

    [Params("in-memory", "udp-loopback")]
    public string Network { get; set; } = "in-memory";

    [GlobalSetup]
    public void Setup()
    {
        if (Network == "in-memory")
        {
            var network = new InMemoryNetwork();
            _server = new R2P2Server(network.Bind("10.0.0.1:9000"), new Echo());
            _client = new R2P2Client(network.Bind("10.0.0.2:0"), _server.LocalAddress);
        }
        else
        {
            _server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), new Echo());
            _client = R2P2Client.CreateUdp(_server.LocalAddress.ToEndPoint());
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public long Call64Bytes()
    {
        using var response = Spin.Result(_client.CallAsync(42, Write64));
        return response.Payload.Length;
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
