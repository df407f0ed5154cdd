using System;
using System.Diagnostics;
using System.Net;
using TailGuard.R2P2;

namespace TailGuard.Load.R2P2;

/// <summary>
/// A client transport that remembers, per R2P2 request id, when the last response datagram for it arrived, so a
/// completed call's latency ends at the socket rather than when the client's continuation got to run. The request id
/// sits in bytes 4-5 of every R2P2 header, big-endian (docs/wire-format.md).
/// </summary>
/// <remarks>
/// The generator's sending thread marks the call it is about to send (<see cref="BeginSend(IRequestIdListener)"/>); the
/// transport's send then tells that call which request id the client gave it. A batch's flush carries the first packets
/// of several calls in one send: the thread marks them all, in the batch's order
/// (<see cref="BeginSend(IRequestIdListener[])"/>), and each is told the request id of its own packet. Only the first
/// packet of a request goes out on the sending thread, so other sends (the rest of a multi-packet request, released by
/// the server's ACK on the client's receive thread) never carry a mark.
/// </remarks>
internal abstract class TimestampingTransport : PacketTransport
{
    private const int RequestIdOffset = 4;
    private const int HeaderSize = 8;

    [ThreadStatic]
    private static IRequestIdListener? t_sending;

    [ThreadStatic]
    private static IRequestIdListener?[]? t_sendingBatch;

    private readonly long[] _receivedAt = new long[65536];

    /// <summary>Where receive timestamps come from.</summary>
    public abstract TimestampSource Source { get; }

    /// <summary>
    /// A client socket towards <paramref name="server"/>: stamped by the kernel on a latency-measuring connection where
    /// the options ask for it and the kernel allows it, else by the monotonic clock after each receive.
    /// </summary>
    public static TimestampingTransport Bind(IPEndPoint server, LoadConnectionSettings settings, R2P2TargetOptions options)
    {
        var local = new IPEndPoint(IPAddress.IsLoopback(server.Address) ? IPAddress.Loopback : IPAddress.Any, 0);
        var kernel = settings.MeasuresLatency && options.KernelTimestamps ? KernelTimestampingUdpTransport.TryBind(local, options.Transport) : null;
        return kernel ?? (TimestampingTransport)new ClockTimestampingTransport(UdpTransport.Bind(local, options.Transport));
    }

    /// <summary>
    /// Puts <paramref name="count"/> buffers of <paramref name="capacity"/> bytes in the transport's pool, so a sender
    /// holding that many at once (a batch before its one send) takes them from the pool instead of allocating them in a
    /// point's window. The pool only grows on demand (docs/load.md, "Batched sends").
    /// </summary>
    public void FillPool(int capacity, int count)
    {
        var buffers = new PacketBuffer[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                buffers[i] = Rent(capacity);
            }
        }
        finally
        {
            foreach (var buffer in buffers)
            {
                buffer?.Return();
            }
        }
    }

    /// <summary>Marks (on the calling thread) the call whose first packet the next send carries.</summary>
    public static void BeginSend(IRequestIdListener call) => t_sending = call;

    /// <summary>
    /// Marks (on the calling thread) the calls whose first packets the next send carries, in order: the packet at index
    /// i is <paramref name="calls"/>[i]'s (null: a packet whose call wants no request id).
    /// </summary>
    public static void BeginSend(IRequestIdListener?[] calls) => t_sendingBatch = calls;

    /// <summary>Clears the marks.</summary>
    public static void EndSend()
    {
        t_sending = null;
        t_sendingBatch = null;
    }

    /// <summary>When the last datagram for <paramref name="requestId"/> arrived (timestamp ticks); read on completion.</summary>
    public long ReceivedAt(ushort requestId) => _receivedAt[requestId];

    /// <summary>Tells the marked call its request id, from the first datagram about to be sent (each marked call of a batch, from its own).</summary>
    protected static void NoteSend(ReadOnlySpan<PacketBuffer> packets)
    {
        var call = t_sending;
        if (call is not null && !packets.IsEmpty && packets[0].Length >= HeaderSize)
        {
            t_sending = null;
            call.OnRequestId(RequestId(packets[0].Span));
        }

        var calls = t_sendingBatch;
        if (calls is not null)
        {
            t_sendingBatch = null;
            for (var i = 0; i < packets.Length && i < calls.Length; i++)
            {
                if (calls[i] is { } queued && packets[i].Length >= HeaderSize)
                {
                    queued.OnRequestId(RequestId(packets[i].Span));
                }
            }
        }
    }

    /// <summary>Records a received datagram's arrival time under its request id.</summary>
    protected void NoteReceive(PacketBuffer packet, long timestamp)
    {
        if (packet.Length >= HeaderSize)
        {
            _receivedAt[RequestId(packet.Span)] = timestamp;
        }
    }

    private static ushort RequestId(ReadOnlySpan<byte> datagram) => (ushort)((datagram[RequestIdOffset] << 8) | datagram[RequestIdOffset + 1]);
}

/// <summary>Told the request id the R2P2 client gave the call being sent.</summary>
internal interface IRequestIdListener
{
    void OnRequestId(ushort requestId);
}

/// <summary>Any transport, timestamped with the monotonic clock right after each receive call returns.</summary>
internal sealed class ClockTimestampingTransport(PacketTransport inner) : TimestampingTransport
{
    public override TimestampSource Source => TimestampSource.MonotonicClock;

    public override PacketAddress LocalAddress => inner.LocalAddress;

    public override int MaxDatagramSize => inner.MaxDatagramSize;

    // The inner transport's memory: buffers it receives into and takes back when sending are its own.
    public override PacketBuffer Rent(int capacity) => inner.Rent(capacity);

    public override void Send(ReadOnlySpan<PacketBuffer> packets)
    {
        NoteSend(packets);
        inner.Send(packets);
    }

    public override int Receive(Span<PacketBuffer> buffers, int timeoutMilliseconds)
    {
        var received = inner.Receive(buffers, timeoutMilliseconds);
        if (received > 0)
        {
            var now = Stopwatch.GetTimestamp();
            for (var i = 0; i < received; i++)
            {
                NoteReceive(buffers[i], now);
            }
        }

        return received;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
