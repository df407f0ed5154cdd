using System;
using System.Collections.Concurrent;
using System.IO;
using System.Threading;
using TailGuard.R2P2;

namespace TailGuard.Tests.R2P2.Infrastructure;

/// <summary>
/// A real transport seen through a window: every send's batch size and every receive's wait and result are recorded
/// (the first <see cref="MaxRecorded"/> receives), and sends can be made to fail. Memory stays the inner transport's.
/// </summary>
public sealed class RecordingTransport(PacketTransport inner) : PacketTransport
{
    public const int MaxRecorded = 1 << 20;

    private readonly (int Timeout, int Received, long At)[] _receives = new (int, int, long)[MaxRecorded];
    private int _receiveCount;

    /// <summary>The packet count of each <see cref="Send"/>, in order.</summary>
    public ConcurrentQueue<int> SendBatches { get; } = new();

    /// <summary>When set, sends give their buffers back and throw, as a transport whose socket fails.</summary>
    public bool FailSends { get; set; }

    public override PacketAddress LocalAddress => inner.LocalAddress;

    public override int MaxDatagramSize => inner.MaxDatagramSize;

    /// <summary>How many receives were recorded.</summary>
    public int ReceiveCount => Math.Min(Volatile.Read(ref _receiveCount), MaxRecorded);

    /// <summary>The recorded receive at <paramref name="index"/>: the wait asked for, the datagrams it returned, and when it returned (<see cref="System.Diagnostics.Stopwatch"/> ticks).</summary>
    public (int Timeout, int Received, long At) ReceiveAt(int index) => _receives[index];

    public override PacketBuffer Rent(int capacity) => inner.Rent(capacity);

    public override void Send(ReadOnlySpan<PacketBuffer> packets)
    {
        SendBatches.Enqueue(packets.Length);
        if (FailSends)
        {
            ReturnAll(packets);
            throw new IOException("send refused (test)");
        }

        inner.Send(packets);
    }

    public override int Receive(Span<PacketBuffer> buffers, int timeoutMilliseconds)
    {
        var received = inner.Receive(buffers, timeoutMilliseconds);
        var index = _receiveCount;
        if (index < MaxRecorded)
        {
            _receives[index] = (timeoutMilliseconds, received, System.Diagnostics.Stopwatch.GetTimestamp());
        }

        Volatile.Write(ref _receiveCount, index + 1); // one receiving thread
        return received;
    }

    protected override void Dispose(bool disposing)
    {
        inner.Dispose();
        base.Dispose(disposing);
    }
}
