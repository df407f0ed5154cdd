using System;
using System.Diagnostics;
using System.Net;
using System.Threading;
using System.Threading.Tasks;

namespace TailGuard.R2P2;

/// <summary>
/// An R2P2 client bound to one destination (a server or a router). Calls are <see cref="ValueTask{TResult}"/>s over
/// pooled completion sources; one receive loop thread matches responses to calls by rid, drives the multi-packet
/// handshake and fires each call's one timer. In steady state a call allocates nothing.
/// </summary>
public sealed partial class R2P2Client : IAsyncDisposable, IDisposable
{
    private static readonly R2P2PayloadWriter<ReadOnlyMemory<byte>> CopyPayloadWriter = CopyPayload;
    private static readonly Action<object?, CancellationToken> CancelCallback = static (state, _) => ((PendingCall)state!).Client().Cancel((PendingCall)state!);

    private readonly PacketTransport _transport;
    private readonly R2P2ClientOptions _options;
    private readonly PacketBufferPool _pool;
    private readonly object _sync = new(); // Monitor: contention inflates a native sync block, no managed allocation
    private readonly PendingCall?[] _byRequestId = new PendingCall?[65536];
    private readonly object _freeSync = new(); // Monitor: contention inflates a native sync block, no managed allocation
    private readonly PendingCall[] _free;
    private readonly long _timeoutTicks;
    private readonly int _maxResponsePackets;
    private readonly Thread _receiveThread;
    private int _freeCount;
    private ushort _nextRequestId = 1;
    private int _inFlight;
    private PendingCall? _deadlineHead;
    private PendingCall? _deadlineTail;
    private long _receiveLoopAllocatedBytes;
    private long _receiveLoopIterations;
    private volatile bool _stopping;
    private int _disposed;

    /// <summary>Creates a client over a transport and starts its receive loop.</summary>
    /// <param name="transport">The transport to send from and receive on (one client per transport).</param>
    /// <param name="destination">Where requests go: a server, or a router.</param>
    /// <param name="options">Settings; defaults when null.</param>
    public R2P2Client(PacketTransport transport, PacketAddress destination, R2P2ClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _options = options ?? new R2P2ClientOptions();
        _options.Validate(transport);
        _transport = transport;
        Destination = destination;
        _pool = new PacketBufferPool(R2P2Header.Size + _options.PayloadSize);
        _free = new PendingCall[_options.MaxInFlight];
        _timeoutTicks = TimeSpanToTicks(_options.Timeout);
        _maxResponsePackets = Fragmenter.PacketCount(MessageType.Response, _options.MaxResponseBytes, _options.PayloadSize);
        Statistics = new R2P2ClientStatistics();
        _receiveThread = new Thread(ReceiveLoop)
        {
            IsBackground = true,
            Name = $"R2P2 client {transport.LocalAddress}",
        };
        _receiveThread.Start();
    }

    /// <summary>Creates a client on a new UDP socket (an ephemeral port on loopback, or on every interface).</summary>
    /// <param name="destination">The server or router, an IPv4 endpoint.</param>
    /// <param name="options">Client settings; defaults when null.</param>
    /// <param name="transportOptions">Socket settings; defaults when null.</param>
    /// <returns>The client, its receive loop running.</returns>
    public static R2P2Client CreateUdp(IPEndPoint destination, R2P2ClientOptions? options = null, UdpTransportOptions? transportOptions = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var target = PacketAddress.FromEndPoint(destination);
        var local = new IPEndPoint(IPAddress.IsLoopback(destination.Address) ? IPAddress.Loopback : IPAddress.Any, 0);
        var transport = UdpTransport.Bind(local, transportOptions);
        try
        {
            return new R2P2Client(transport, target, options);
        }
        catch
        {
            transport.Dispose();
            throw;
        }
    }

    /// <summary>Where requests go.</summary>
    public PacketAddress Destination { get; }

    /// <summary>The address requests are sent from (responses come back here).</summary>
    public PacketAddress LocalAddress => _transport.LocalAddress;

    /// <summary>This client's counts.</summary>
    public R2P2ClientStatistics Statistics { get; }

    /// <summary>How many calls are in flight (sent, not yet ended).</summary>
    public int InFlightCount
    {
        get
        {
            lock (_sync)
            {
                return _inFlight;
            }
        }
    }

    /// <summary>
    /// Bytes the receive loop thread has allocated since it started (<see cref="GC.GetAllocatedBytesForCurrentThread"/>,
    /// sampled after each batch), so tests and benchmarks can check the loop allocates nothing per call.
    /// </summary>
    public long ReceiveLoopAllocatedBytes => Interlocked.Read(ref _receiveLoopAllocatedBytes);

    /// <summary>How many times the receive loop has gone round (each sample of <see cref="ReceiveLoopAllocatedBytes"/>).</summary>
    public long ReceiveLoopIterations => Interlocked.Read(ref _receiveLoopIterations);

    /// <summary>
    /// Sends one request whose payload <paramref name="writePayload"/> writes straight into pooled send buffers, and
    /// completes with the response as a lease over the receive buffers.
    /// </summary>
    /// <typeparam name="TState">The arguments the writer needs.</typeparam>
    /// <param name="state">The arguments, passed by reference to the writer before this method returns.</param>
    /// <param name="writePayload">Writes the payload; called once, synchronously.</param>
    /// <param name="policy">The routing policy of the request.</param>
    /// <param name="cancellationToken">Cancels the call; the call then ends once, with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The response lease; dispose it to return the buffers.</returns>
    /// <exception cref="R2P2TimeoutException">The call's timer fired.</exception>
    /// <exception cref="R2P2DroppedException">The server refused the request.</exception>
    /// <exception cref="R2P2MalformedResponseException">The response was malformed.</exception>
    public ValueTask<R2P2Response> CallAsync<TState>(
        in TState state,
        R2P2PayloadWriter<TState> writePayload,
        RoutingPolicy policy = RoutingPolicy.LoadBalanced,
        CancellationToken cancellationToken = default)
        => CallAsync(in state, writePayload, policy, _options.Timeout, cancellationToken);

    /// <summary>Sends one request with its own timeout (see the other overload).</summary>
    /// <typeparam name="TState">The arguments the writer needs.</typeparam>
    /// <param name="state">The arguments, passed by reference to the writer before this method returns.</param>
    /// <param name="writePayload">Writes the payload; called once, synchronously.</param>
    /// <param name="policy">The routing policy of the request.</param>
    /// <param name="timeout">This call's one timer.</param>
    /// <param name="cancellationToken">Cancels the call; the call then ends once, with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The response lease; dispose it to return the buffers.</returns>
    /// <exception cref="R2P2TimeoutException">The call's timer fired.</exception>
    /// <exception cref="R2P2DroppedException">The server refused the request.</exception>
    /// <exception cref="R2P2MalformedResponseException">The response was malformed.</exception>
    public ValueTask<R2P2Response> CallAsync<TState>(
        in TState state,
        R2P2PayloadWriter<TState> writePayload,
        RoutingPolicy policy,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writePayload);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if ((byte)policy > (byte)RoutingPolicy.ReplicatedReadOnly)
        {
            throw new ArgumentOutOfRangeException(nameof(policy), policy, "A request carries a wire routing policy (0..3).");
        }

        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The call timeout must be positive.");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<R2P2Response>(cancellationToken);
        }

        var call = RentCall();
        int count;
        try
        {
            call.Writer.Start();
            writePayload(call.Writer, in state);
            count = call.Writer.Build(MessageType.Request, policy, 0, Destination, ref call.RequestPackets);
        }
        catch
        {
            call.Writer.Reset();
            ReturnCall(call);
            throw;
        }

        call.RequestPacketCount = count;

        // Registered before the call is in flight, so whatever ends the call (Detach) always unregisters it.
        if (cancellationToken.CanBeCanceled)
        {
            call.Token = cancellationToken;
            call.Registration = cancellationToken.UnsafeRegister(CancelCallback, call);
        }

        short version;
        lock (_sync)
        {
            if (_inFlight >= _options.MaxInFlight)
            {
                call.Registration.Unregister();
                call.Recycle();
                throw new InvalidOperationException($"The client already has {_options.MaxInFlight} calls in flight (MaxInFlight).");
            }

            var rid = NextRequestId();
            for (var i = 0; i < count; i++)
            {
                call.RequestPackets[i].Array[4] = (byte)(rid >> 8);
                call.RequestPackets[i].Array[5] = (byte)rid;
            }

            call.RequestId = rid;
            call.State = count == 1 ? CallState.AwaitingResponse : CallState.AwaitingAck;
            call.Deadline = Stopwatch.GetTimestamp() + (timeout == _options.Timeout ? _timeoutTicks : TimeSpanToTicks(timeout));
            _byRequestId[rid] = call;
            _inFlight++;
            InsertByDeadline(call);
            version = call.Version;
        }

        Statistics.Request();
        if (cancellationToken.IsCancellationRequested)
        {
            // Cancelled while registering: the callback found the call not yet in flight and did nothing.
            Cancel(call);
            return new ValueTask<R2P2Response>(call, version);
        }

        try
        {
            // A multi-packet request sends only its first packet; the rest leave on the ACK (docs/design/r2p2.md,
            // the handshake).
            _transport.Send(call.RequestPackets.AsSpan(0, 1));
        }
        catch (Exception error) when (error is not ObjectDisposedException)
        {
            if (TryDetach(call))
            {
                call.CompleteWithError(new R2P2Exception("The request could not be sent.", error));
            }
        }

        return new ValueTask<R2P2Response>(call, version);
    }

    /// <summary>Sends one request whose payload is <paramref name="payload"/> (copied into the send buffers).</summary>
    /// <param name="payload">The request payload.</param>
    /// <param name="policy">The routing policy of the request.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response lease; dispose it to return the buffers.</returns>
    public ValueTask<R2P2Response> CallAsync(ReadOnlyMemory<byte> payload, RoutingPolicy policy = RoutingPolicy.LoadBalanced, CancellationToken cancellationToken = default)
        => CallAsync(in payload, CopyPayloadWriter, policy, _options.Timeout, cancellationToken);

    /// <summary>Sends one request whose payload is <paramref name="payload"/>, with its own timeout.</summary>
    /// <param name="payload">The request payload.</param>
    /// <param name="policy">The routing policy of the request.</param>
    /// <param name="timeout">This call's one timer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response lease; dispose it to return the buffers.</returns>
    public ValueTask<R2P2Response> CallAsync(ReadOnlyMemory<byte> payload, RoutingPolicy policy, TimeSpan timeout, CancellationToken cancellationToken = default)
        => CallAsync(in payload, CopyPayloadWriter, policy, timeout, cancellationToken);

    /// <summary>Stops the receive loop, fails calls still in flight with <see cref="ObjectDisposedException"/>, and closes the transport if the client owns it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping = true;
        if (Thread.CurrentThread != _receiveThread)
        {
            _receiveThread.Join();
        }

        var ended = DetachDue(long.MaxValue);
        while (ended is not null)
        {
            var next = ended.NextCompleted;
            ended.NextCompleted = null;
            ended.CompleteWithError(new ObjectDisposedException(nameof(R2P2Client), "The R2P2 client was disposed while the call was in flight."));
            ended = next;
        }

        if (_options.OwnsTransport)
        {
            _transport.Dispose();
        }
    }

    /// <inheritdoc cref="Dispose"/>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    internal void ReturnCall(PendingCall call)
    {
        call.State = CallState.Free;
        lock (_freeSync)
        {
            if (_freeCount < _free.Length)
            {
                _free[_freeCount++] = call;
            }
        }
    }

    /// <summary>Test hook: the next rid the counter will try (conformance case 12 without 65536 calls).</summary>
    internal void SetNextRequestId(ushort next)
    {
        lock (_sync)
        {
            _nextRequestId = next;
        }
    }

    private static void CopyPayload(System.Buffers.IBufferWriter<byte> writer, in ReadOnlyMemory<byte> payload)
    {
        var span = payload.Span;
        while (!span.IsEmpty)
        {
            var destination = writer.GetSpan(Math.Min(span.Length, 4096));
            var chunk = Math.Min(destination.Length, span.Length);
            span[..chunk].CopyTo(destination);
            writer.Advance(chunk);
            span = span[chunk..];
        }
    }

    private static long TimeSpanToTicks(TimeSpan time) => (long)(time.TotalSeconds * Stopwatch.Frequency);

    private PendingCall RentCall()
    {
        lock (_freeSync)
        {
            if (_freeCount > 0)
            {
                var call = _free[--_freeCount];
                _free[_freeCount] = null!;
                return call;
            }
        }

        return new PendingCall(this, new MessageWriter(_pool, _options.PayloadSize, Fragmenter.MaxMessageLength(MessageType.Request, _options.PayloadSize)), _options.RunContinuationsAsynchronously);
    }

    /// <summary>The 16-bit counter, wrapping, skipping rids still in flight (the reference does not check). Under the lock.</summary>
    private ushort NextRequestId()
    {
        while (true)
        {
            var rid = _nextRequestId;
            unchecked
            {
                _nextRequestId++;
            }

            if (_byRequestId[rid] is null)
            {
                return rid;
            }
        }
    }

    private void InsertByDeadline(PendingCall call)
    {
        // Mostly one timeout for all calls, so the new deadline is the latest and lands at the tail in O(1).
        var after = _deadlineTail;
        while (after is not null && after.Deadline > call.Deadline)
        {
            after = after.Previous;
        }

        call.Previous = after;
        call.Next = after is null ? _deadlineHead : after.Next;
        if (call.Next is null)
        {
            _deadlineTail = call;
        }
        else
        {
            call.Next.Previous = call;
        }

        if (after is null)
        {
            _deadlineHead = call;
        }
        else
        {
            after.Next = call;
        }
    }

    /// <summary>Ends a call's life in the tables (under the lock): frees its rid, removes its timer.</summary>
    private void Detach(PendingCall call)
    {
        _byRequestId[call.RequestId] = null;
        _inFlight--;
        if (call.Previous is null)
        {
            _deadlineHead = call.Next;
        }
        else
        {
            call.Previous.Next = call.Next;
        }

        if (call.Next is null)
        {
            _deadlineTail = call.Previous;
        }
        else
        {
            call.Next.Previous = call.Previous;
        }

        call.Previous = null;
        call.Next = null;
        call.State = CallState.Free;
        call.Registration.Unregister();
    }

    private bool TryDetach(PendingCall call)
    {
        lock (_sync)
        {
            if (call.State == CallState.Free || _byRequestId[call.RequestId] != call)
            {
                return false;
            }

            Detach(call);
            return true;
        }
    }

    private void Cancel(PendingCall call)
    {
        CancellationToken token;
        lock (_sync)
        {
            // The callback may race with the call ending and the slot being reused: act only on the call it was for.
            token = call.Token;
            if (call.State == CallState.Free || !token.IsCancellationRequested || _byRequestId[call.RequestId] != call)
            {
                return;
            }

            Detach(call);
        }

        Statistics.Cancellation();
        call.CompleteWithError(new OperationCanceledException("The R2P2 call was cancelled.", token));
    }

    private void ReceiveLoop()
    {
        var buffers = new PacketBuffer[_options.ReceiveBatchSize];
        for (var i = 0; i < buffers.Length; i++)
        {
            buffers[i] = _pool.Rent();
        }

        var busyPoll = _options.ReceiveMode == ReceiveMode.BusyPoll;
        try
        {
            while (!_stopping)
            {
                var received = _transport.Receive(buffers, busyPoll ? 0 : WaitMilliseconds());
                for (var i = 0; i < received; i++)
                {
                    if (ProcessGuarded(buffers[i]))
                    {
                        buffers[i] = _pool.Rent();
                    }
                }

                ExpireDeadlines();
                Interlocked.Exchange(ref _receiveLoopAllocatedBytes, GC.GetAllocatedBytesForCurrentThread());
                Interlocked.Increment(ref _receiveLoopIterations);
            }
        }
        catch (ObjectDisposedException) when (_stopping || Volatile.Read(ref _disposed) != 0)
        {
            // The transport closed under us while stopping.
        }

        foreach (var buffer in buffers)
        {
            buffer.Return();
        }
    }

    private int WaitMilliseconds()
    {
        long head;
        lock (_sync)
        {
            head = _deadlineHead?.Deadline ?? long.MaxValue;
        }

        const int idleWait = 50;
        if (head == long.MaxValue)
        {
            return idleWait;
        }

        var ms = (head - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
        return (int)Math.Clamp(ms + 1, 1, idleWait);
    }

    private void ExpireDeadlines()
    {
        var expired = DetachDue(Stopwatch.GetTimestamp());
        while (expired is not null)
        {
            var next = expired.NextCompleted;
            expired.NextCompleted = null;
            Statistics.Timeout();
            expired.CompleteWithError(new R2P2TimeoutException());
            expired = next;
        }
    }

    /// <summary>Detaches every call due by <paramref name="now"/>, returned as a chain through NextCompleted to complete outside the lock.</summary>
    private PendingCall? DetachDue(long now)
    {
        PendingCall? due = null;
        lock (_sync)
        {
            while (_deadlineHead is { } call && call.Deadline <= now)
            {
                Detach(call);
                call.NextCompleted = due;
                due = call;
            }
        }

        return due;
    }

    /// <summary>A defect in processing one datagram is counted and the loop goes on (it must not end the process).</summary>
    private bool ProcessGuarded(PacketBuffer packet)
    {
        try
        {
            return Process(packet);
        }
#pragma warning disable CA1031 // Deliberately broad: an unhandled exception on this thread would end the process.
        catch (Exception error) when (error is not ObjectDisposedException)
#pragma warning restore CA1031
        {
            Statistics.MalformedDatagram();
            return false;
        }
    }

    /// <summary>Handles one datagram; returns true when a call kept the buffer (a response packet).</summary>
    private bool Process(PacketBuffer packet)
    {
        var datagram = packet.Span;
        if (R2P2Header.TryRead(datagram, out var header) != HeaderStatus.Valid)
        {
            Statistics.MalformedDatagram();
            return false;
        }

        PendingCall? call;
        var outcome = Outcome.Ignored;
        var kept = false;
        lock (_sync)
        {
            call = _byRequestId[header.RequestId];
            if (call is null)
            {
                // A late packet of a finished call, or a stranger: never delivered.
                Statistics.MalformedDatagram();
                return false;
            }

            switch (header.Type)
            {
                case MessageType.Ack:
                    if (call.State == CallState.AwaitingAck && ControlMessages.IsWellFormedAck(datagram, header))
                    {
                        call.State = CallState.AwaitingResponse;

                        // The rest goes to whoever answered, bypassing a router (docs/design/r2p2.md, handshake step 3). Sent under
                        // the lock so the call cannot end and recycle these buffers meanwhile.
                        var rest = call.RequestPackets.AsSpan(1, call.RequestPacketCount - 1);
                        foreach (var p in rest)
                        {
                            p.Address = packet.Address;
                        }

                        _transport.Send(rest);
                    }
                    else if (call.State == CallState.AwaitingAck)
                    {
                        outcome = Outcome.Malformed;
                    }
                    else
                    {
                        // A duplicate ACK (the network may duplicate): ignored, counted.
                        Statistics.MalformedDatagram();
                    }

                    break;

                case MessageType.Drop:
                    outcome = call.State is CallState.AwaitingAck or CallState.AwaitingResponse && ControlMessages.IsWellFormedDrop(datagram, header)
                        ? Outcome.Dropped
                        : Outcome.Malformed;
                    break;

                case MessageType.Response:
                    outcome = ReceiveResponsePacket(call, packet, header, out kept);
                    break;

                default:
                    Statistics.MalformedDatagram();
                    break;
            }

            if (outcome != Outcome.Ignored)
            {
                Detach(call);
            }
        }

        switch (outcome)
        {
            case Outcome.Completed:
                Statistics.Response();
                call.CompleteWithResponse();
                break;
            case Outcome.Dropped:
                Statistics.Drop();
                call.CompleteWithError(new R2P2DroppedException());
                break;
            case Outcome.Malformed:
                Statistics.MalformedResponse();
                call.CompleteWithError(new R2P2MalformedResponseException());
                break;
        }

        return kept;
    }

    /// <summary>The response state machine: FIRST, then 1..N-1 in order, LAST exactly on N-1. Under the lock.</summary>
    private Outcome ReceiveResponsePacket(PendingCall call, PacketBuffer packet, in R2P2Header header, out bool kept)
    {
        kept = false;
        switch (call.State)
        {
            case CallState.AwaitingResponse when header.IsFirst:
                var count = header.IsLast ? 1 : header.PacketOrder;
                if (count > _maxResponsePackets)
                {
                    return Outcome.Malformed;
                }

                if (call.ResponsePackets.Length < count)
                {
                    Array.Resize(ref call.ResponsePackets, count);
                }

                call.ResponsePackets[0] = packet;
                call.ResponsePacketCount = 1;
                call.ResponseExpected = count;
                kept = true;
                if (count == 1)
                {
                    return Outcome.Completed;
                }

                call.State = CallState.ReceivingResponse;
                return Outcome.Ignored;

            case CallState.ReceivingResponse when !header.IsFirst && header.PacketOrder == call.ResponsePacketCount:
                var isFinal = header.PacketOrder == call.ResponseExpected - 1;
                if (header.IsLast != isFinal)
                {
                    return Outcome.Malformed;
                }

                call.ResponsePackets[call.ResponsePacketCount++] = packet;
                kept = true;
                return isFinal ? Outcome.Completed : Outcome.Ignored;

            default:
                // A response before the ACK, a continuation without FIRST, a gap, a duplicate: the call fails once.
                return Outcome.Malformed;
        }
    }

    private enum Outcome
    {
        Ignored,
        Completed,
        Dropped,
        Malformed,
    }
}
