using System;
using System.Diagnostics;
using TailGuard.R2P2;

namespace TailGuard.Tests.R2P2.Infrastructure;

/// <summary>A raw endpoint a test drives by hand: it sends crafted datagrams and inspects what arrives, byte for byte.</summary>
public sealed class RawPeer : IDisposable
{
    private readonly PacketTransport _transport;
    private readonly PacketBuffer[] _buffer = [new PacketBuffer(65536)];

    public RawPeer(PacketTransport transport) => _transport = transport;

    public PacketAddress Address => _transport.LocalAddress;

    public void Send(PacketAddress destination, byte[] datagram)
    {
        var packet = new PacketBuffer(Math.Max(datagram.Length, 1)) { Length = datagram.Length, Address = destination };
        datagram.CopyTo(packet.Storage);
        _transport.Send([packet]);
    }

    /// <summary>The next datagram; fails the test if none arrives within the (generous) timeout.</summary>
    public Datagram Receive(TimeSpan? timeout = null)
    {
        if (!TryReceive(timeout ?? Payloads.Generous, out var datagram))
        {
            throw new TimeoutException($"No datagram reached {Address} in time.");
        }

        return datagram;
    }

    public bool TryReceive(TimeSpan wait, out Datagram datagram)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * Stopwatch.Frequency);
        do
        {
            var remaining = (int)Math.Max(1, (deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency);
            if (_transport.Receive(_buffer, remaining) == 1)
            {
                datagram = new Datagram(_buffer[0].Span.ToArray(), _buffer[0].Address);
                return true;
            }
        }
        while (Stopwatch.GetTimestamp() < deadline);

        datagram = default;
        return false;
    }

    public void Dispose() => _transport.Dispose();
}

public readonly record struct Datagram(byte[] Bytes, PacketAddress Source)
{
    public byte TypePolicy => Bytes[2];

    public byte Flags => Bytes[3];

    public ushort RequestId => (ushort)((Bytes[4] << 8) | Bytes[5]);

    public ushort PacketOrder => (ushort)((Bytes[6] << 8) | Bytes[7]);

    public byte[] Payload => Bytes[8..];
}
