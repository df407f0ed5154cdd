using System;
using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2;

/// <summary>
/// An R2P2 client bound to one destination (a server or a router). Calls are <see cref="ValueTask{TResult}"/>s over
/// pooled completion sources; the protocol (rids, one timer per call, the multi-packet handshake, response reassembly)
/// is a <see cref="ClientProtocol"/> driven by one <see cref="ReceiveLoop"/> thread. Request and response packets live in
/// the transport's memory. In steady state a call allocates nothing.
/// </summary>
public sealed class R2P2Client : IAsyncDisposable, IDisposable
{
    private static readonly R2P2PayloadWriter<ReadOnlyMemory<byte>> CopyPayloadWriter = static (writer, in payload) => writer.Write(payload.Span);
    private static readonly Action<object?, CancellationToken> CancelCallback = static (state, _) => ((PendingCall)state!).Client().Cancel((PendingCall)state!);

    private readonly PacketTransport _transport;
    private readonly R2P2ClientOptions _options;
    private readonly object _sync = new(); // Monitor: contention inflates a native sync block, no managed allocation
    private readonly ClientProtocol _protocol;
    private readonly object _freeSync = new(); // Monitor: contention inflates a native sync block, no managed allocation
    private readonly PendingCall[] _free;
    private readonly long _timeoutTicks;
    private readonly FailureReporter _failures;
    private readonly Security.ClientAuthenticator? _authenticator;
    private readonly ReceiveLoop _loop;
    private int _freeCount;
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
        _free = new PendingCall[_options.MaxInFlight];
        _timeoutTicks = TimeSpanToTicks(_options.Timeout);
        var key = _options.AuthenticationKey;
        if (key is not null && !key.TryClaim())
        {
            throw new ArgumentException($"{nameof(R2P2ClientOptions)}.{nameof(R2P2ClientOptions.AuthenticationKey)}: {key} already authenticates another client; a key serves one client at a time (its call nonces must never repeat).");
        }

        try
        {
            _authenticator = key is null ? null : new Security.ClientAuthenticator(key);
            _protocol = new ClientProtocol(
                _options.MaxInFlight,
                Fragmenter.PacketCount(MessageType.Response, _options.MaxResponseBytes, _options.ResponsePayloadSize),
                _options.ResponseSources,
                TimeSpanToTicks(_options.Quarantine))
            {
                Authenticator = _authenticator,
            };
            Statistics = new R2P2ClientStatistics();
            _failures = new FailureReporter(_options.FailureLog, Statistics.Failure);
            _loop = new ReceiveLoop(transport, new LoopHandler(this), new ReceiveLoopOptions
            {
                Mode = _options.ReceiveMode,
                BatchSize = _options.ReceiveBatchSize,
                BufferSize = R2P2Header.Size + _options.PayloadSize,
                ThreadName = $"R2P2 client {transport.LocalAddress}",
            });
            _loop.Start();
        }
        catch
        {
            // A client that never started gives its key back (another may claim it).
            _authenticator?.Dispose();
            key?.Unclaim();
            throw;
        }
    }

    /// <summary>
    /// Creates a client on a new UDP socket bound to an ephemeral port of the local address that routes to the
    /// destination (the interface the kernel would send from, not every interface). With
    /// <see cref="ResponseSources.Destination"/> (the default) the socket is also connected to the destination, so the
    /// kernel drops datagrams from any other source before they are read.
    /// </summary>
    /// <param name="destination">The server or router, an IPv4 or IPv6 endpoint.</param>
    /// <param name="options">Client settings; defaults when null.</param>
    /// <param name="transportOptions">Socket settings; defaults when null.</param>
    /// <returns>The client, its receive loop running.</returns>
    public static R2P2Client CreateUdp(IPEndPoint destination, R2P2ClientOptions? options = null, UdpTransportOptions? transportOptions = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var target = PacketAddress.FromEndPoint(destination);
        var direct = (options?.ResponseSources ?? ResponseSources.Destination).Kind == ResponseSourceKind.Destination;
        var transport = direct ? UdpTransport.Connect(destination, transportOptions) : UdpTransport.BindToward(destination, transportOptions);
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
                return _protocol.InFlight;
            }
        }
    }

    /// <summary>
    /// Bytes the receive loop thread has allocated since it started (<see cref="GC.GetAllocatedBytesForCurrentThread"/>,
    /// sampled after each batch), so tests and benchmarks can check the loop allocates nothing per call.
    /// </summary>
    public long ReceiveLoopAllocatedBytes => _loop.AllocatedBytes;

    /// <summary>How many times the receive loop has gone round (each sample of <see cref="ReceiveLoopAllocatedBytes"/>).</summary>
    public long ReceiveLoopIterations => _loop.Iterations;

    /// <summary>
    /// Sends one request whose payload <paramref name="writePayload"/> writes straight into the transport's send
    /// buffers, and completes with the response as a lease over the receive buffers.
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
        try
        {
            call.Writer.Start();
            writePayload(call.Writer, in state);
            call.BuildRequest(call.Writer, policy, Destination);
        }
        catch
        {
            call.Writer.Reset();
            call.Reset();
            ReturnCall(call);
            throw;
        }

        // Registered before the call is in flight, so whatever ends the call always unregisters it.
        if (cancellationToken.CanBeCanceled)
        {
            call.Token = cancellationToken;
            call.Registration = cancellationToken.UnsafeRegister(CancelCallback, call);
        }

        short version;
        PacketBuffer? first;
        lock (_sync)
        {
            var deadline = Stopwatch.GetTimestamp() + (timeout == _options.Timeout ? _timeoutTicks : TimeSpanToTicks(timeout));
            if (!_protocol.TryStart(call, deadline, out first))
            {
                var inFlight = _protocol.InFlight;
                call.Registration.Unregister();
                call.Recycle();
                throw new InvalidOperationException(inFlight >= _options.MaxInFlight
                    ? $"The client already has {_options.MaxInFlight} calls in flight (MaxInFlight)."
                    : $"No request id is free: {inFlight} calls are in flight and the other rids are quarantined after calls that ended without their response (RequestIdQuarantine).");
            }

            version = call.Version;
        }

        Statistics.Request();
        if (cancellationToken.IsCancellationRequested)
        {
            // Cancelled while registering: the callback found the call not yet in flight and did nothing.
            first!.Return();
            Cancel(call);
            return new ValueTask<R2P2Response>(call, version);
        }

        try
        {
            // A multi-packet request sends only its first packet; the rest leave on the ACK (docs/design/r2p2.md, "The multi-packet request handshake").
            _transport.Send(new ReadOnlySpan<PacketBuffer>(ref first!));
        }
        catch (Exception error) when (error is not ObjectDisposedException)
        {
            if (TryEnd(call))
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

        _loop.Stop();
        var ended = TakeExpired(long.MaxValue);
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

        if (_authenticator is not null)
        {
            _authenticator.Dispose();
            _options.AuthenticationKey!.Unclaim();
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
            _protocol.NextRequestId = next;
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

        var trailer = _authenticator is null ? 0 : Security.AuthenticatedWire.RequestTrailerLength;
        var writer = new MessageWriter(_transport, _options.RequestPayloadSize, Fragmenter.MaxMessageLength(MessageType.Request, _options.RequestPayloadSize), trailer);
        return new PendingCall(this, writer, _options.RunContinuationsAsynchronously);
    }

    /// <summary>Takes a call out of flight (cancelled, or its send failed); false when it ended already.</summary>
    private bool TryEnd(PendingCall call)
    {
        lock (_sync)
        {
            if (!_protocol.TryEnd(call))
            {
                return false;
            }
        }

        call.Registration.Unregister();
        return true;
    }

    private void Cancel(PendingCall call)
    {
        CancellationToken token;
        lock (_sync)
        {
            // The callback may race with the call ending and the call being reused: act only on the call it was for.
            token = call.Token;
            if (!token.IsCancellationRequested || !_protocol.TryEnd(call))
            {
                return;
            }
        }

        Statistics.Cancellation();
        call.CompleteWithError(new OperationCanceledException("The R2P2 call was cancelled.", token));
    }

    /// <summary>Takes every call due by <paramref name="now"/> out of flight, chained through NextCompleted to complete outside the lock.</summary>
    private PendingCall? TakeExpired(long now)
    {
        PendingCall? due = null;
        lock (_sync)
        {
            while (_protocol.TakeExpired(now) is PendingCall call)
            {
                call.NextCompleted = due;
                due = call;
            }
        }

        for (var call = due; call is not null; call = call.NextCompleted)
        {
            call.Registration.Unregister();
        }

        return due;
    }

    /// <summary>One datagram through the protocol; true when a call kept the buffer (a response packet).</summary>
    private bool OnPacket(ReceiveLoop loop, PacketBuffer packet)
    {
        ClientCallEvent step;
        PendingCall? call;
        lock (_sync)
        {
            step = _protocol.Receive(packet, out var target);
            call = (PendingCall?)target;
            if (step == ClientCallEvent.SendContinuations)
            {
                // Queued under the lock: once it is released the call may end and be reused with new packets.
                foreach (var continuation in call!.TakeContinuations())
                {
                    loop.Send(continuation);
                }
            }
        }

        switch (step)
        {
            case ClientCallEvent.Ignored:
                Statistics.MalformedDatagram(); // a bad header, an unknown rid, a duplicate ACK, an unexpected type
                break;
            case ClientCallEvent.Forged:
                Statistics.Forged(); // not from who may answer: the call goes on
                break;
            case ClientCallEvent.Completed:
                call!.Registration.Unregister();
                Statistics.Response();
                Complete(call, null);
                break;
            case ClientCallEvent.Dropped:
                call!.Registration.Unregister();
                Statistics.Drop();
                Complete(call, new R2P2DroppedException());
                break;
            case ClientCallEvent.Malformed:
                call!.Registration.Unregister();
                Statistics.MalformedResponse();
                Complete(call, new R2P2MalformedResponseException());
                break;
        }

        return step is ClientCallEvent.ResponsePacketStored or ClientCallEvent.Completed;
    }

    /// <summary>
    /// Completes a call from the receive loop. With inline continuations (<see cref="R2P2ClientOptions.RunContinuationsAsynchronously"/>
    /// false) the caller's code runs here: whatever it throws is counted and logged, and the loop goes on.
    /// </summary>
    private void Complete(PendingCall call, Exception? error)
    {
        try
        {
            if (error is null)
            {
                call.CompleteWithResponse();
            }
            else
            {
                call.CompleteWithError(error);
            }
        }
#pragma warning disable CA1031 // User code resumed inline must not end the loop every call depends on.
        catch (Exception failure)
#pragma warning restore CA1031
        {
            _failures.Report(R2P2Failure.Continuation, failure);
        }
    }

    private long OnTick()
    {
        var expired = TakeExpired(Stopwatch.GetTimestamp());
        while (expired is not null)
        {
            var next = expired.NextCompleted;
            expired.NextCompleted = null;
            Statistics.Timeout();
            Complete(expired, new R2P2TimeoutException());
            expired = next;
        }

        lock (_sync)
        {
            return _protocol.EarliestDeadline;
        }
    }

    /// <summary>The client's side of its receive loop (a separate object keeps these methods off the client's public surface).</summary>
    private sealed class LoopHandler(R2P2Client client) : IReceiveLoopHandler
    {
        public bool OnPacket(ReceiveLoop loop, PacketBuffer packet) => client.OnPacket(loop, packet);

        public long OnTick(ReceiveLoop loop, long now) => client.OnTick();

        public void OnError(ReceiveLoop loop, Exception error) => client._failures.Report(R2P2Failure.ReceiveLoop, error);

        public void OnStopping(ReceiveLoop loop)
        {
        }
    }
}
