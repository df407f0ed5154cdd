using System;
using System.Buffers;
using System.Diagnostics;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.Replication.Payloads;

namespace TailGuard.Replication;

/// <summary>
/// The replica's receive loop handler, built from the R2P2 protocol core (docs/r2p2.md, "The protocol core"): the
/// replicas' own messages (types 5 to 7) go to the node when they come from a member's address; everything else goes
/// through a <see cref="ServerProtocol"/> (header checks, served policies, admission, single-packet requests), whose
/// refusals become DROPs and whose deliveries become parked requests. A FIXED-policy request is a status query and is
/// answered at once with the node's status line. Nothing here answers a replicated request: the replier does, later,
/// from the apply thread.
/// </summary>
internal sealed class ReplicaLoop : IReceiveLoopHandler
{
    private readonly ReplicatedNode _node;
    private readonly ServerProtocol _protocol;

    public ReplicaLoop(ReplicatedNode node, R2P2ServerOptions options)
    {
        _node = node;
        _protocol = new ServerProtocol(options);
    }

    public bool OnPacket(ReceiveLoop loop, PacketBuffer packet)
    {
        var datagram = packet.Span;
        if (datagram.Length >= R2P2Header.Size && datagram[0] == R2P2Header.Magic && (datagram[2] >> 4) is >= (int)MessageType.RaftRequest and <= (int)MessageType.RaftMessage)
        {
            var from = _node.MemberOf(packet.Address);
            if (from < 0 || from == _node.Self || R2P2Header.TryRead(datagram, out var header) != HeaderStatus.Valid)
            {
                _node.Statistics.RejectedPeerMessage(); // only members speak the replicas' protocol
                return false;
            }

            _node.OnPeerMessage(header.Type, packet, from, loop);
            return false;
        }

        var step = _protocol.Receive(packet, Stopwatch.GetTimestamp());
        switch (step.Kind)
        {
            case ServerEventKind.Rejected:
                _node.Statistics.Malformed();
                break;
            case ServerEventKind.Refused:
                SendDrop(loop, step.RequestId, step.Client);
                break;
            case ServerEventKind.Acknowledge:
                // Cannot happen: MaxRequestBytes is one packet, so a multi-packet request is rejected first.
                break;
            case ServerEventKind.Deliver:
                Deliver(loop, step);
                _protocol.EndDelivery();
                break;
        }

        return step.KeepsPacket;
    }

    public long OnTick(ReceiveLoop loop, long now)
    {
        _protocol.Expire(now);
        return _node.OnTick(loop, now);
    }

    public void OnError(ReceiveLoop loop, Exception error) => _node.Log(Microsoft.Extensions.Logging.LogLevel.Warning, "the replica loop failed on one datagram", error);

    public void OnStopping(ReceiveLoop loop) => _protocol.Clear();

    private void Deliver(ReceiveLoop loop, in ServerEvent step)
    {
        if (step.Policy == RoutingPolicy.Fixed)
        {
            var status = System.Text.Encoding.UTF8.GetBytes(_node.DescribeStatus());
            var writer = new MessageWriter(loop.Transport, _node.Options.PayloadSize, Fragmenter.MaxMessageLength(MessageType.Response, _node.Options.PayloadSize));
            var packets = new PacketBuffer[Fragmenter.PacketCount(MessageType.Response, status.Length, _node.Options.PayloadSize)];
            writer.Start();
            writer.Write(status);
            var count = writer.Build(MessageType.Response, RoutingPolicy.Fixed, step.RequestId, step.Client, ref packets);
            for (var i = 0; i < count; i++)
            {
                loop.Send(packets[i]);
            }

            return;
        }

        var payload = step.Payload.ToArray();
        _node.OnClientRequest(new RequestKey(step.Client, step.RequestId), step.Policy, payload, loop);
    }

    private static void SendDrop(ReceiveLoop loop, ushort requestId, PacketAddress client)
    {
        var buffer = loop.Transport.Rent(ControlMessages.DropLength);
        buffer.Length = ControlMessages.WriteDrop(buffer.Storage, requestId);
        buffer.Address = client;
        loop.Send(buffer);
    }
}
