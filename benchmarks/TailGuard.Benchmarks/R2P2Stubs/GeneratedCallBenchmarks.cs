using System;
using System.Buffers;
using System.Net;
using BenchmarkDotNet.Attributes;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;

namespace TailGuard.Benchmarks.R2P2Stubs;

/// <summary>
/// One round trip through the generated client and dispatcher against a raw R2P2 call carrying the same bytes each way
/// (a 70-byte request: id, length, 64 bytes; a 73-byte response: status, result, length, 64 bytes), over the in-memory
/// network and over UDP loopback. Client continuations run inline on the client's receive loop, and the benchmark
/// spins on the returned task (<see cref="Spin"/>), as <c>R2P2CallBenchmarks</c> does, so the harness itself allocates nothing.
/// </summary>
[MemoryDiagnoser]
public class GeneratedCallBenchmarks : IDisposable
{
    private const int DataBytes = 64;
    private static readonly R2P2PayloadWriter<byte[]> s_writeRaw = static (IBufferWriter<byte> writer, in byte[] request) => writer.Write(request);

    private readonly byte[] _data = new byte[DataBytes];
    private readonly byte[] _rawRequest = new byte[2 + 4 + DataBytes];
    private readonly byte[] _destination = new byte[DataBytes];
    private R2P2Server? _rawServer;
    private R2P2Server? _generatedServer;
    private R2P2Client? _rawClient;
    private R2P2Client? _generatedTransport;
    private BenchEchoClient? _generated;

    [Params("in-memory", "udp-loopback")]
    public string Network { get; set; } = "in-memory";

    [GlobalSetup]
    public void Setup()
    {
        new Random(3).NextBytes(_data);
        var options = new R2P2ClientOptions { RunContinuationsAsynchronously = false };
        if (Network == "in-memory")
        {
            var network = new InMemoryNetwork(seed: 5);
            _rawServer = new R2P2Server(network.Bind("10.0.0.1:9000"), new SameSizeEcho(1 + 4 + 4 + DataBytes));
            _generatedServer = new R2P2Server(network.Bind("10.0.0.2:9000"), new BenchEchoDispatcher(new BenchEcho()));
            _rawClient = new R2P2Client(network.Bind("10.0.0.3:0"), _rawServer.LocalAddress, options);
            _generatedTransport = new R2P2Client(network.Bind("10.0.0.4:0"), _generatedServer.LocalAddress, options);
        }
        else
        {
            var loopback = new IPEndPoint(IPAddress.Loopback, 0);
            _rawServer = R2P2Server.CreateUdp(loopback, new SameSizeEcho(1 + 4 + 4 + DataBytes));
            _generatedServer = R2P2Server.CreateUdp(loopback, new BenchEchoDispatcher(new BenchEcho()));
            _rawClient = new R2P2Client(UdpTransport.Bind(loopback), _rawServer.LocalAddress, options);
            _generatedTransport = new R2P2Client(UdpTransport.Bind(loopback), _generatedServer.LocalAddress, options);
        }

        _generated = new BenchEchoClient(_generatedTransport);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        GC.SuppressFinalize(this);
        _rawClient?.Dispose();
        _generatedTransport?.Dispose();
        _rawServer?.Dispose();
        _generatedServer?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public long RawR2P2()
    {
        using R2P2Response response = Spin.Result(_rawClient!.CallAsync(_rawRequest, s_writeRaw));
        return response.Payload.Length;
    }

    [Benchmark]
    public int GeneratedCall()
    {
        return Spin.Result(_generated!.EchoAsync(_data, _destination));
    }

    /// <summary>Answers with a fixed number of bytes taken from the request: the raw baseline's server.</summary>
    private sealed class SameSizeEcho : IR2P2Handler
    {
        private readonly int _responseBytes;

        public SameSizeEcho(int responseBytes) => _responseBytes = responseBytes;

        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            Span<byte> target = response.GetSpan(_responseBytes)[.._responseBytes];
            target.Clear();
            request.Payload.Slice(0, Math.Min(request.Payload.Length, _responseBytes)).CopyTo(target);
            response.Advance(_responseBytes);
        }
    }
}
