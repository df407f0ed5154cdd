using System;
using System.Buffers;
using System.Collections.Concurrent;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.Replication.Payloads;

namespace TailGuard.Replication.Replies;

/// <summary>
/// Sends a response to a client from any thread, straight through the replica's transport: R2P2 matches responses by
/// the client's socket and the rid, so the replier need not be the replica the client thinks it talks to. Message
/// writers are pooled.
/// </summary>
internal sealed class ReplySender
{
    private readonly PacketTransport _transport;
    private readonly int _payloadSize;
    private readonly ConcurrentBag<MessageWriter> _writers = new();
    private readonly ReplicatedNodeStatistics _statistics;

    public ReplySender(PacketTransport transport, int payloadSize, ReplicatedNodeStatistics statistics)
    {
        _transport = transport;
        _payloadSize = payloadSize;
        _statistics = statistics;
    }

    public void Send(RequestKey key, ReadOnlySpan<byte> response)
    {
        if (!_writers.TryTake(out var writer))
        {
            writer = new MessageWriter(_transport, _payloadSize, Fragmenter.MaxMessageLength(MessageType.Response, _payloadSize));
        }

        var packets = new PacketBuffer[Math.Max(1, Fragmenter.PacketCount(MessageType.Response, response.Length, _payloadSize))];
        try
        {
            writer.Start();
            writer.Write(response);
            var count = writer.Build(MessageType.Response, RoutingPolicy.Fixed, key.RequestId, key.Client, ref packets);
            _transport.Send(packets.AsSpan(0, count));
            _statistics.Reply();
        }
        catch (ObjectDisposedException)
        {
            // The node is stopping: the client times out, as it would had the replica failed.
        }
        finally
        {
            writer.Reset();
            _writers.Add(writer);
        }
    }
}
