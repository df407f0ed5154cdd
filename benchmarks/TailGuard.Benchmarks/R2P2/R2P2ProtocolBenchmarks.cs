using System;
using BenchmarkDotNet.Attributes;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;

namespace TailGuard.Benchmarks.R2P2;

/// <summary>
/// Per-packet protocol costs without I/O: the header codec, splitting a message into packets, and the state machines
/// (a one-packet request through the server's protocol; a one-packet call through the client's, start to completion).
/// </summary>
[MemoryDiagnoser]
public class R2P2ProtocolBenchmarks
{
    private readonly byte[] _datagram = new byte[1472];
    private readonly PacketBufferPool _pool = new(1472);
    private MessageWriter _writer = null!;
    private PacketBuffer[] _packets = new PacketBuffer[8];

    private static readonly PacketAddress Peer = new(0x0A000002, 40000);
    private readonly ServerProtocol _server = new(new R2P2ServerOptions());
    private readonly ClientProtocol _client = new(maxInFlight: 16, maxResponsePackets: 16);
    private readonly ClientCall _call = new();
    private PacketBuffer _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        _writer = new MessageWriter(_pool, 1464, 1 << 20);
        _request = new PacketBuffer(1472) { Address = Peer };
        R2P2Header.Write(_request.Storage, MessageType.Request, RoutingPolicy.LoadBalanced, R2P2Header.FlagsSingle, 7, 1);
        _request.Length = R2P2Header.Size + 64;
    }

    [Benchmark]
    public long ServerProtocolOnePacketRequest()
    {
        var step = _server.Receive(_request, 0);
        _server.EndDelivery();
        return step.Payload.Length;
    }

    [Benchmark]
    public long ClientProtocolOnePacketCall()
    {
        _writer.Start();
        _writer.Advance(64);
        _call.BuildRequest(_writer, RoutingPolicy.LoadBalanced, Peer);
        _client.TryStart(_call, long.MaxValue, out var first);
        var rid = _call.RequestId;
        first!.Length = R2P2Header.Size + 64; // the first packet comes back as the response, with the same rid
        R2P2Header.Write(first.Storage, MessageType.Response, RoutingPolicy.Fixed, R2P2Header.FlagsSingle, rid, 1);
        _client.Receive(first, out _);
        var length = _call.ResponsePayload().Length;
        _call.Reset();
        return length;
    }

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
