using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Load.R2P2;
using TailGuard.R2P2;

namespace TailGuard.Load.Udp;

/// <summary>
/// One socket of a <see cref="UdpEchoTarget"/>, with its own <see cref="ReceiveLoop"/> (the loop every R2P2 role runs
/// on, in the same receive mode). A request's datagram carries its send's number in bytes 0-3 and its slot in bytes
/// 4-5, where an R2P2 header has its request id, so the same timestamping transports stamp its arrival. The loop
/// completes the slot a response names when the number matches the send in flight there (a late echo of an earlier
/// send, or a stranger's datagram, is ignored), and times out the slots whose deadline passed.
/// </summary>
internal sealed class UdpEchoConnection : LoadConnection, IReceiveLoopHandler
{
    public const int MaxSlots = ushort.MaxValue + 1;
    private const int SlotOffset = 4;

    /// <summary>The most datagrams one transport send carries; a larger batch leaves in several.</summary>
    private const int MaxBatch = 64;

    private readonly TimestampingTransport _transport;
    private readonly ReceiveLoop _loop;
    private readonly PacketAddress _server;
    private readonly byte[] _filler;
    private readonly long _timeoutTicks;
    private readonly UdpEchoCall?[] _calls;
    private readonly PacketBuffer[] _sending = new PacketBuffer[MaxBatch];
    private int _slotCount;
    private long _faults;

    private UdpEchoConnection(TimestampingTransport transport, PacketAddress server, LoadConnectionSettings settings, R2P2TargetOptions options, byte[] filler)
    {
        _transport = transport;
        _server = server;
        _filler = filler;
        _timeoutTicks = (long)(settings.Timeout.TotalSeconds * Stopwatch.Frequency);
        _calls = new UdpEchoCall?[Math.Max(1, settings.MaxInFlight)];
        _loop = new ReceiveLoop(transport, this, new ReceiveLoopOptions
        {
            Mode = options.ReceiveMode,
            BufferSize = Math.Max(filler.Length, 2048),
            ThreadName = "load UDP receive",
        });
        _loop.Start();
    }

    public override TimestampSource ReceiveTimestamps => _transport.Source;

    public static UdpEchoConnection Open(IPEndPoint server, LoadConnectionSettings settings, R2P2TargetOptions options, byte[] filler)
    {
        var transport = TimestampingTransport.Bind(server, settings, options);
        try
        {
            transport.FillPool(filler.Length, MaxBatch); // a batch in hand before its one send (receive buffers are another size)
            return new UdpEchoConnection(transport, PacketAddress.FromEndPoint(server), settings, options, filler);
        }
        catch
        {
            transport.Dispose();
            throw;
        }
    }

    /// <summary>One slot per pooled request (the generator pools as many as the connection's in-flight limit).</summary>
    public override object? CreateRequestState(LoadRequest request)
    {
        var slot = Interlocked.Increment(ref _slotCount) - 1;
        if (slot >= _calls.Length)
        {
            throw new InvalidOperationException("More requests than the connection's in-flight limit.");
        }

        var call = new UdpEchoCall(request, (ushort)slot);
        Volatile.Write(ref _calls[slot], call);
        return call;
    }

    public override void Send(LoadRequest request) => SendBatch(new ReadOnlySpan<LoadRequest>(ref request));

    /// <summary>Sends the requests' datagrams with one transport send (one <c>sendmmsg</c>) per <see cref="MaxBatch"/> of them.</summary>
    public override void SendBatch(ReadOnlySpan<LoadRequest> requests)
    {
        while (!requests.IsEmpty)
        {
            var count = Math.Min(requests.Length, MaxBatch);
            SendChunk(requests[..count]);
            requests = requests[count..];
        }
    }

    private void SendChunk(ReadOnlySpan<LoadRequest> requests)
    {
        var now = Stopwatch.GetTimestamp();
        var count = 0;
        try
        {
            for (; count < requests.Length; count++)
            {
                _sending[count] = Datagram(requests[count]);
            }
        }
        catch
        {
            // Not sent: the buffers go back; the generator fails the batch's requests.
            for (var i = 0; i < count; i++)
            {
                _sending[i].Return();
                _sending[i] = null!;
            }

            throw;
        }

        for (var i = 0; i < count; i++)
        {
            var request = requests[i];
            ((UdpEchoCall)request.State!).Begin((uint)request.Sequence, now + _timeoutTicks);
        }

        try
        {
            _transport.Send(_sending.AsSpan(0, count)); // takes every buffer, even when it throws
        }
        catch (Exception)
        {
            for (var i = 0; i < count; i++)
            {
                var request = requests[i];
                if (((UdpEchoCall)request.State!).TryFinish((uint)request.Sequence))
                {
                    request.Complete(LoadOutcome.Failed);
                }
            }

            return;
        }
        finally
        {
            Array.Clear(_sending, 0, count);
        }

        _loop.KeepSpinning(now);
    }

    /// <summary>The request's datagram: the filler, with its send number in bytes 0-3 and its slot in bytes 4-5.</summary>
    private PacketBuffer Datagram(LoadRequest request)
    {
        var packet = _transport.Rent(_filler.Length);
        try
        {
            var datagram = packet.Storage[.._filler.Length];
            _filler.CopyTo(datagram);
            BinaryPrimitives.WriteUInt32BigEndian(datagram, (uint)request.Sequence);
            BinaryPrimitives.WriteUInt16BigEndian(datagram[SlotOffset..], ((UdpEchoCall)request.State!).Slot);
            packet.Length = _filler.Length;
            packet.Address = _server;
            return packet;
        }
        catch
        {
            packet.Return();
            throw;
        }
    }

    public bool OnPacket(ReceiveLoop receiveLoop, PacketBuffer packet)
    {
        var datagram = packet.Span;
        if (datagram.Length < UdpEchoTarget.MinimumSize || packet.Address != _server)
        {
            return false;
        }

        var slot = BinaryPrimitives.ReadUInt16BigEndian(datagram[SlotOffset..]);
        var call = slot < _calls.Length ? Volatile.Read(ref _calls[slot]) : null;
        if (call is null || !call.TryFinish(BinaryPrimitives.ReadUInt32BigEndian(datagram)))
        {
            return false; // an echo of a send already timed out, or not ours
        }

        var outcome = datagram.Length == _filler.Length ? LoadOutcome.Ok : LoadOutcome.WrongResponse;
        var received = _transport.ReceivedAt(slot);
        if (outcome == LoadOutcome.Ok && received > 0)
        {
            call.Request.Complete(outcome, received);
        }
        else
        {
            call.Request.Complete(outcome);
        }

        return false;
    }

    public long OnTick(ReceiveLoop receiveLoop, long now)
    {
        var next = long.MaxValue;
        var count = Math.Min(Volatile.Read(ref _slotCount), _calls.Length);
        for (var slot = 0; slot < count; slot++)
        {
            if (Volatile.Read(ref _calls[slot]) is not { } call || !call.InFlight(out var number, out var deadline))
            {
                continue;
            }

            if (deadline <= now)
            {
                if (call.TryFinish(number))
                {
                    call.Request.Complete(LoadOutcome.Timeout);
                }
            }
            else if (deadline < next)
            {
                next = deadline;
            }
        }

        return next;
    }

    public override long Faults => Interlocked.Read(ref _faults);

    /// <summary>A fault of the receive loop (a defect, not bad input): counted, so the point's <c>faults</c> check fails rather than the loss going unseen.</summary>
    public void OnError(ReceiveLoop receiveLoop, Exception exception) => Interlocked.Increment(ref _faults);

    public void OnStopping(ReceiveLoop receiveLoop)
    {
        // Requests still in flight end as failures: nobody will answer them now.
        var count = Math.Min(Volatile.Read(ref _slotCount), _calls.Length);
        for (var slot = 0; slot < count; slot++)
        {
            if (Volatile.Read(ref _calls[slot]) is { } call && call.InFlight(out var number, out _) && call.TryFinish(number))
            {
                call.Request.Complete(LoadOutcome.Failed);
            }
        }
    }

    public override ValueTask DisposeAsync()
    {
        _loop.Dispose();
        _transport.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// One pooled request's slot: which send is in flight there (its number, or none) and when it times out. The sending
/// thread begins a send; the receive loop (a response, a timeout) or a failed send finishes it, exactly once.
/// </summary>
internal sealed class UdpEchoCall(LoadRequest request, ushort slot)
{
    private const long None = -1;
    private long _inFlight = None;
    private long _deadline;

    public LoadRequest Request => request;

    public ushort Slot => slot;

    public void Begin(uint number, long deadline)
    {
        Volatile.Write(ref _deadline, deadline);
        Volatile.Write(ref _inFlight, number); // published after its deadline
    }

    public bool InFlight(out uint number, out long deadline)
    {
        var current = Volatile.Read(ref _inFlight);
        deadline = Volatile.Read(ref _deadline);
        number = (uint)current;
        return current != None;
    }

    /// <summary>Ends send <paramref name="number"/> if it is the one in flight; false when it ended already (or is another).</summary>
    public bool TryFinish(uint number) => Interlocked.CompareExchange(ref _inFlight, None, number) == number;
}
