using System;
using System.Buffers;
using System.Net;
using BenchmarkDotNet.Attributes;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;

namespace TailGuard.Benchmarks.R2P2;

/// <summary>
/// One closed-loop 64-byte call, client and server in this process (blocking receive loops), over the in-memory network
/// and over UDP loopback, answered synchronously or deferred (the handler defers and answers through the handle at
/// once, so the difference is the deferral's own cost: the slot table and a send of its own instead of the loop's
/// batch). Latency percentiles under a realistic discipline come from `samples/Echo ping`; this measures the mean cost
/// and the allocations per call.
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

    [Params("sync", "deferred")]
    public string Answer { get; set; } = "sync";

    [GlobalSetup]
    public void Setup()
    {
        IR2P2Handler handler = Answer == "deferred" ? new DeferredEcho() : new Echo();
        if (Network == "in-memory")
        {
            var network = new InMemoryNetwork();
            _server = new R2P2Server(network.Bind("10.0.0.1:9000"), handler);
            _client = new R2P2Client(network.Bind("10.0.0.2:0"), _server.LocalAddress);
        }
        else
        {
            _server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), handler);
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

    private sealed class DeferredEcho : IR2P2Handler
    {
        private static readonly R2P2PayloadWriter<ReadOnlySequence<byte>> CopyPayload = static (IBufferWriter<byte> writer, in ReadOnlySequence<byte> payload) =>
        {
            foreach (var segment in payload)
            {
                writer.Write(segment.Span);
            }
        };

        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            var payload = request.Payload;
            request.Defer().TrySend(in payload, CopyPayload);
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
