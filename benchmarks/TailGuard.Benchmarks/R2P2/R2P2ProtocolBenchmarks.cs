using System;
using BenchmarkDotNet.Attributes;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;

namespace TailGuard.Benchmarks.R2P2;

/// <summary>Per-packet protocol costs: the header codec and splitting a message into packets.</summary>
[MemoryDiagnoser]
public class R2P2ProtocolBenchmarks
{
    private readonly byte[] _datagram = new byte[1472];
    private readonly PacketBufferPool _pool = new(1472);
    private MessageWriter _writer = null!;
    private PacketBuffer[] _packets = new PacketBuffer[8];

    [GlobalSetup]
    public void Setup() => _writer = new MessageWriter(_pool, 1464, 1 << 20);

    [Benchmark]
    public int HeaderWriteAndRead()
    {
        R2P2Header.Write(_datagram, MessageType.Request, RoutingPolicy.LoadBalanced, R2P2Header.FlagsSingle, 1234, 1);
        R2P2Header.TryRead(_datagram, out var header);
        return header.RequestId;
    }

    [Benchmark]
    public int Split3000ByteResponse()
    {
        _writer.Start();
        var span = _writer.GetSpan(3000);
        span[..3000].Clear();
        _writer.Advance(3000);
        var count = _writer.Build(MessageType.Response, RoutingPolicy.Fixed, 7, default, ref _packets);
        for (var i = 0; i < count; i++)
        {
            _packets[i].Return();
        }

        return count;
    }
}
