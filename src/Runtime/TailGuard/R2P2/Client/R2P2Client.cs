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
    internal static readonly R2P2PayloadWriter<ReadOnlyMemory<byte>> CopyPayloadWriter = static (writer, in payload) => writer.Write(payload.Span);
    private static readonly TimeSpan WatchdogMinPeriod = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan WatchdogMaxPeriod = TimeSpan.FromMilliseconds(100);
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
    private int _calls; // calls the pool has made and still owns (in flight or free), under _freeSync
    private int _disposed;
    private int _inFlight; // the protocol's count, written under _sync, read without it to refuse early

    // The blocked-loop watchdog (docs/r2p2.md, "Inline continuations"): the loop thread counts its entries into callers'
    // code and how deep it is in; a timer that sees it inside, with no new entry since its previous tick, ends the calls
    // whose timers fired.
    private Timer? _watchdog;
    private int _inlineDepth;
    private long _inlineEntries;
    private int _watching;
    private long _watchedEntries;
    private bool _watchedInside;
    private long _reportedEntries = -1;

    /// <summary>Creates a client over a transport and starts its receive loop.</summary>
    /// <param name="transport">The transport to send from and receive on (one client per transport).</param>
    /// <param name="destination">Where requests go: a server, or a router.</param>
    /// <param name="options">Settings; defaults when null.</param>
    public R2P2Client(PacketTransport transport, PacketAddress destination, R2P2ClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _options = options ?? new R2P2ClientOptions();
        _options.Validate(transport);
        // A connected socket knows its route (in its own namespace); an unconnected one may serve any route, unchecked.
        // A payload the route cannot carry whole: the kernel would fragment every full packet, and a router could not
        // forward it; the default is lowered to fit, another size refused.
        if (transport is UdpTransport { ConnectedTo: { } peer } udp && peer == destination
            && RouteMtu.Fit(_options.PayloadSize, destination, udp.ConnectedRouteMtu, $"{nameof(R2P2ClientOptions)}.{nameof(R2P2ClientOptions.PayloadSize)}") is var fit
            && fit != _options.PayloadSize)
        {
            _options = _options.WithPayloadSize(fit);
            _options.Validate(transport);
        }

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
            Statistics = new R2P2ClientStatistics(R2P2Instruments.For(_options.MeterFactory));
            _failures = new FailureReporter(_options.FailureLog, Statistics.Failure);
            _loop = new ReceiveLoop(transport, new LoopHandler(this), new ReceiveLoopOptions
            {
                Mode = _options.ReceiveMode,
                SpinBudget = _options.SpinBudget,
                BatchSize = _options.ReceiveBatchSize,
                BufferSize = R2P2Header.Size + _options.PayloadSize,
                ThreadName = $"R2P2 client {transport.LocalAddress}",
            });
            _loop.Start();
            if (!_options.RunContinuationsAsynchronously)
            {
                EnsureWatchdog(); // awaiting code resumes on the loop: watch for code that blocks it
            }
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

    /// <summary>
    /// Raised (on the receive thread) when processing a datagram, a timer tick or a receive failed unexpectedly (a
    /// defect or a failing transport, not bad input, which is only counted); the loop keeps running. The error is also
    /// counted in <see cref="R2P2ClientStatistics.MalformedDatagrams"/>.
    /// </summary>
    public event EventHandler<Exception>? ReceiveLoopError;

    /// <summary>Where requests go.</summary>
    public PacketAddress Destination { get; }

    /// <summary>The address requests are sent from (responses come back here).</summary>
    public PacketAddress LocalAddress => _transport.LocalAddress;

    /// <summary>The timeout of a call made without one (<see cref="R2P2ClientOptions.Timeout"/>).</summary>
    internal TimeSpan DefaultTimeout => _options.Timeout;

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
    /// Raised when an <see cref="IR2P2CallCallback"/> throws (on the thread that ran it, usually the receive loop), after
    /// the call went back to the pool; also counted in <see cref="R2P2ClientStatistics.CallbackFailures"/>. A subscriber
    /// that throws is ignored.
    /// </summary>
    public event EventHandler<Exception>? CallbackFailed;

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
    /// <exception cref="InvalidOperationException"><see cref="R2P2ClientOptions.MaxInFlight"/> calls are in flight (<see cref="TryCallAsync{TState}"/> says so without throwing).</exception>
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
    /// <param name="timeout">This call's one timer; positive and at most <see cref="R2P2Limits.MaxTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call; the call then ends once, with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The response lease; dispose it to return the buffers.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is not positive or is above <see cref="R2P2Limits.MaxTimeout"/>.</exception>
    /// <exception cref="R2P2TimeoutException">The call's timer fired.</exception>
    /// <exception cref="R2P2DroppedException">The server refused the request.</exception>
    /// <exception cref="R2P2MalformedResponseException">The response was malformed.</exception>
    /// <exception cref="InvalidOperationException"><see cref="R2P2ClientOptions.MaxInFlight"/> calls are in flight.</exception>
    public ValueTask<R2P2Response> CallAsync<TState>(
        in TState state,
        R2P2PayloadWriter<TState> writePayload,
        RoutingPolicy policy,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
        => CallOrThrow(in state, writePayload, policy, timeout, batch: null, cancellationToken);

    /// <summary>
    /// Sends one request of a service method (what generated clients call): as the other overloads, and its duration,
    /// outcome and span are tagged with <paramref name="method"/>; for a generated service's response the outcome is
    /// the status its first byte carries.
    /// </summary>
    /// <typeparam name="TState">The arguments the writer needs.</typeparam>
    /// <param name="method">The method called.</param>
    /// <param name="state">The arguments, passed by reference to the writer before this method returns.</param>
    /// <param name="writePayload">Writes the payload; called once, synchronously, with the call's span (if any) current.</param>
    /// <param name="policy">The routing policy of the request.</param>
    /// <param name="timeout">This call's one timer; null uses the options' <see cref="R2P2ClientOptions.Timeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call; the call then ends once, with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The response lease; dispose it to return the buffers.</returns>
    /// <exception cref="R2P2TimeoutException">The call's timer fired.</exception>
    /// <exception cref="R2P2DroppedException">The server refused the request.</exception>
    /// <exception cref="R2P2MalformedResponseException">The response was malformed.</exception>
    /// <exception cref="InvalidOperationException"><see cref="R2P2ClientOptions.MaxInFlight"/> calls are in flight.</exception>
    public ValueTask<R2P2Response> CallAsync<TState>(
        R2P2MethodDescriptor method,
        in TState state,
        R2P2PayloadWriter<TState> writePayload,
        RoutingPolicy policy,
        TimeSpan? timeout,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        return CallOrThrow(in state, writePayload, policy, timeout ?? _options.Timeout, batch: null, cancellationToken, method);
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
    /// <param name="timeout">This call's one timer; positive and at most <see cref="R2P2Limits.MaxTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response lease; dispose it to return the buffers.</returns>
    public ValueTask<R2P2Response> CallAsync(ReadOnlyMemory<byte> payload, RoutingPolicy policy, TimeSpan timeout, CancellationToken cancellationToken = default)
        => CallAsync(in payload, CopyPayloadWriter, policy, timeout, cancellationToken);

    /// <summary>
    /// Starts a call as <see cref="CallAsync{TState}(in TState, R2P2PayloadWriter{TState}, RoutingPolicy, TimeSpan, CancellationToken)"/>
    /// does, unless <see cref="R2P2ClientOptions.MaxInFlight"/> calls are in flight: then it returns false, sends
    /// nothing, calls no writer and counts <see cref="R2P2ClientStatistics.InFlightLimitRefusals"/>, without an exception.
    /// </summary>
    /// <typeparam name="TState">The arguments the writer needs.</typeparam>
    /// <param name="state">The arguments, passed by reference to the writer before this method returns.</param>
    /// <param name="writePayload">Writes the payload; called once, synchronously, only when the call starts.</param>
    /// <param name="response">The call (await it once) when this returns true; default otherwise.</param>
    /// <param name="policy">The routing policy of the request.</param>
    /// <param name="timeout">This call's one timer; null for <see cref="R2P2ClientOptions.Timeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether the call started.</returns>
    public bool TryCallAsync<TState>(
        in TState state,
        R2P2PayloadWriter<TState> writePayload,
        out ValueTask<R2P2Response> response,
        RoutingPolicy policy = RoutingPolicy.LoadBalanced,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
        => TryStartAwaited(in state, writePayload, out response, policy, timeout, batch: null, cancellationToken);

    /// <summary>Starts a call with <paramref name="payload"/> (copied) unless <see cref="R2P2ClientOptions.MaxInFlight"/> calls are in flight (see the other overload).</summary>
    /// <param name="payload">The request payload.</param>
    /// <param name="response">The call (await it once) when this returns true; default otherwise.</param>
    /// <param name="policy">The routing policy of the request.</param>
    /// <param name="timeout">This call's one timer; null for <see cref="R2P2ClientOptions.Timeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether the call started.</returns>
    public bool TryCallAsync(
        ReadOnlyMemory<byte> payload,
        out ValueTask<R2P2Response> response,
        RoutingPolicy policy = RoutingPolicy.LoadBalanced,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
        => TryStartAwaited(in payload, CopyPayloadWriter, out response, policy, timeout, batch: null, cancellationToken);

    /// <summary>
    /// Starts a call whose end is told to <paramref name="callback"/> (with <paramref name="callbackState"/>) instead of
    /// a task: no <see cref="ValueTask"/>, no continuation, no exception, nothing allocated per call. Returns false,
    /// sending nothing, when <see cref="R2P2ClientOptions.MaxInFlight"/> calls are in flight. Where and when the callback
    /// runs: <see cref="IR2P2CallCallback"/>.
    /// </summary>
    /// <typeparam name="TState">The arguments the writer needs.</typeparam>
    /// <param name="state">The arguments, passed by reference to the writer before this method returns.</param>
    /// <param name="writePayload">Writes the payload; called once, synchronously, only when the call starts.</param>
    /// <param name="callback">Told once how the call ended.</param>
    /// <param name="callbackState">Handed back in <see cref="R2P2CallCompletion.State"/>.</param>
    /// <param name="policy">The routing policy of the request.</param>
    /// <param name="timeout">This call's one timer; null for <see cref="R2P2ClientOptions.Timeout"/>.</param>
    /// <returns>Whether the call started (the callback will run exactly once) or not (it will not run).</returns>
    public bool TryCall<TState>(
        in TState state,
        R2P2PayloadWriter<TState> writePayload,
        IR2P2CallCallback callback,
        object? callbackState = null,
        RoutingPolicy policy = RoutingPolicy.LoadBalanced,
        TimeSpan? timeout = null)
        => TryStartWithCallback(in state, writePayload, callback, callbackState, policy, timeout, batch: null);

    /// <summary>Starts a call with <paramref name="payload"/> (copied) whose end is told to <paramref name="callback"/> (see the other overload).</summary>
    /// <param name="payload">The request payload.</param>
    /// <param name="callback">Told once how the call ended.</param>
    /// <param name="callbackState">Handed back in <see cref="R2P2CallCompletion.State"/>.</param>
    /// <param name="policy">The routing policy of the request.</param>
    /// <param name="timeout">This call's one timer; null for <see cref="R2P2ClientOptions.Timeout"/>.</param>
    /// <returns>Whether the call started.</returns>
    public bool TryCall(
        ReadOnlyMemory<byte> payload,
        IR2P2CallCallback callback,
        object? callbackState = null,
        RoutingPolicy policy = RoutingPolicy.LoadBalanced,
        TimeSpan? timeout = null)
        => TryStartWithCallback(in payload, CopyPayloadWriter, callback, callbackState, policy, timeout, batch: null);

    /// <summary>
    /// Creates a batch whose calls leave together: each call made through it starts at once (rid, timer) but its first
    /// packet waits in the batch until <see cref="R2P2CallBatch.Flush"/>, which hands them all to the transport in one
    /// send (one <c>sendmmsg</c> over UDP). One batch per sending thread; reuse it.
    /// </summary>
    /// <param name="capacity">The most calls it holds; one more flushes it first (1 to 1024).</param>
    /// <returns>The batch.</returns>
    public R2P2CallBatch CreateBatch(int capacity = R2P2CallBatch.DefaultCapacity) => new(this, capacity);

    /// <summary>Stops the receive loop, fails calls still in flight with <see cref="ObjectDisposedException"/>, and closes the transport if the client owns it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _watchdog?.Dispose();
        _loop.Stop();
        var ended = TakeExpired(long.MaxValue);
        while (ended is not null)
        {
            var next = ended.NextCompleted;
            ended.NextCompleted = null;
            ended.Fail(R2P2CallStatus.ClientDisposed);
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
            else
            {
                _calls--; // dropped: the pool no longer owns it
            }
        }
    }

    /// <summary>
    /// Makes pooled calls until the client owns at least <paramref name="count"/> (in flight and free; at most
    /// <see cref="R2P2ClientOptions.MaxInFlight"/>), so that a thread starting calls never makes one itself. Call it off
    /// the thread whose allocations matter, before that thread starts calls, and again when it will keep more in flight.
    /// A callback runs before its call returns to the pool: a caller that starts a new call as soon as a callback tells it
    /// one ended (a closed loop, a load generator's bounded pool) needs one call more than it keeps in flight
    /// (docs/r2p2.md, "Calls for load generators"). Safe on any thread.
    /// </summary>
    /// <param name="count">How many calls the pool should own.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public void PrepareCalls(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        count = Math.Min(count, _free.Length);
        while (true)
        {
            lock (_freeSync)
            {
                if (_calls >= count)
                {
                    return;
                }

                _calls++;
            }

            ReturnCall(CreateCall());
        }
    }

    internal void ReportCallbackFailure(Exception error)
    {
        _failures.Report(R2P2Failure.Continuation, error); // counted in CallbackFailures, told to the failure log
        _failures.Raise(CallbackFailed, this, error);
    }

    /// <summary>Test hook: the next rid the counter will try (conformance case 12 without 65536 calls).</summary>
    internal void SetNextRequestId(ushort next)
    {
        lock (_sync)
        {
            _protocol.NextRequestId = next;
        }
    }

    internal ValueTask<R2P2Response> CallOrThrow<TState>(in TState state, R2P2PayloadWriter<TState> writePayload, RoutingPolicy policy, TimeSpan timeout, R2P2CallBatch? batch, CancellationToken cancellationToken, R2P2MethodDescriptor? method = null)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            CheckArguments(writePayload, policy, timeout);
            return ValueTask.FromCanceled<R2P2Response>(cancellationToken);
        }

        if (!TryStart(in state, writePayload, policy, timeout, null, null, batch, out var call, out var version, cancellationToken, method))
        {
            int inFlight;
            lock (_sync)
            {
                inFlight = _protocol.InFlight;
            }

            throw new InvalidOperationException(inFlight >= _options.MaxInFlight
                ? $"The client already has {_options.MaxInFlight} calls in flight (MaxInFlight)."
                : $"No request id is free: {inFlight} calls are in flight and the other rids are quarantined after calls that ended without their response (RequestIdQuarantine).");
        }

        return new ValueTask<R2P2Response>(call!, version);
    }

    internal bool TryStartAwaited<TState>(in TState state, R2P2PayloadWriter<TState> writePayload, out ValueTask<R2P2Response> response, RoutingPolicy policy, TimeSpan? timeout, R2P2CallBatch? batch, CancellationToken cancellationToken)
    {
        var time = timeout ?? _options.Timeout;
        if (cancellationToken.IsCancellationRequested)
        {
            CheckArguments(writePayload, policy, time);
            response = ValueTask.FromCanceled<R2P2Response>(cancellationToken);
            return true;
        }

        if (!TryStart(in state, writePayload, policy, time, null, null, batch, out var call, out var version, cancellationToken))
        {
            response = default;
            return false;
        }

        response = new ValueTask<R2P2Response>(call!, version);
        return true;
    }

    internal bool TryStartWithCallback<TState>(in TState state, R2P2PayloadWriter<TState> writePayload, IR2P2CallCallback callback, object? callbackState, RoutingPolicy policy, TimeSpan? timeout, R2P2CallBatch? batch)
    {
        ArgumentNullException.ThrowIfNull(callback);
        EnsureWatchdog(); // callbacks run inline on the loop: watch for one that blocks it
        return TryStart(in state, writePayload, policy, timeout ?? _options.Timeout, callback, callbackState, batch, out _, out _, default);
    }

    /// <summary>Sends the first packets a batch queued (one transport send); calls whose send fails end with <see cref="R2P2CallStatus.SendFailed"/>.</summary>
    internal void SendBatch(ReadOnlySpan<PacketBuffer> packets, ReadOnlySpan<PendingCall> calls, ReadOnlySpan<short> versions)
    {
        try
        {
            _transport.Send(packets); // takes every buffer, even when it throws
        }
        catch (Exception error) when (error is not ObjectDisposedException)
        {
            for (var i = 0; i < calls.Length; i++)
            {
                EndUnsent(calls[i], versions[i], error);
            }
        }
    }

    private static long TimeSpanToTicks(TimeSpan time) => (long)(time.TotalSeconds * Stopwatch.Frequency);

    private void CheckArguments(Delegate writePayload, RoutingPolicy policy, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(writePayload);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if ((byte)policy > (byte)RoutingPolicy.ReplicatedReadOnly)
        {
            throw new ArgumentOutOfRangeException(nameof(policy), policy, "A request carries a wire routing policy (0..3).");
        }

        // The ceiling of the option holds for a call's own timeout too (docs/security.md, "Hard ceilings"): above it the
        // deadline's arithmetic overflowed, and a call given TimeSpan.MaxValue timed out at the next tick.
        if (timeout <= TimeSpan.Zero || timeout > R2P2Limits.MaxTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, $"The call timeout must be positive and at most {R2P2Limits.MaxTimeout}.");
        }
    }

    /// <summary>
    /// Every form of a call: writes and splits the request, puts the call in flight (false when MaxInFlight calls are,
    /// with nothing sent), and sends its first packet, or queues it in <paramref name="batch"/>.
    /// </summary>
    private bool TryStart<TState>(
        in TState state,
        R2P2PayloadWriter<TState> writePayload,
        RoutingPolicy policy,
        TimeSpan timeout,
        IR2P2CallCallback? callback,
        object? callbackState,
        R2P2CallBatch? batch,
        out PendingCall? started,
        out short version,
        CancellationToken cancellationToken,
        R2P2MethodDescriptor? method = null)
    {
        CheckArguments(writePayload, policy, timeout);
        started = null;
        version = 0;

        // Refused before the payload is written: a full client costs a caller no work and no buffers.
        if (Volatile.Read(ref _inFlight) >= _options.MaxInFlight)
        {
            Statistics.Refusal();
            return false;
        }

        var call = RentCall();
        var activity = R2P2Activities.StartClient(method, out var previousActivity);
        try
        {
            call.Writer.Start();
            writePayload(call.Writer, in state); // with the call's span current: a generated client carries its context
            call.BuildRequest(call.Writer, policy, Destination);
        }
        catch
        {
            call.Writer.Reset();
            call.Reset();
            ReturnCall(call);
            if (activity is not null)
            {
                R2P2Activities.Stop(activity, R2P2Outcome.Failed);
            }

            throw;
        }
        finally
        {
            R2P2Activities.Restore(activity, previousActivity);
        }

        if (callback is not null)
        {
            call.UseCallback(callback, callbackState);
        }

        // Registered before the call is in flight, so whatever ends the call always unregisters it.
        if (cancellationToken.CanBeCanceled)
        {
            call.Token = cancellationToken;
            call.Registration = cancellationToken.UnsafeRegister(CancelCallback, call);
        }

        PacketBuffer? first;
        var now = Stopwatch.GetTimestamp();
        lock (_sync)
        {
            var deadline = now + (timeout == _options.Timeout ? _timeoutTicks : TimeSpanToTicks(timeout));
            if (!_protocol.TryStart(call, deadline, out first))
            {
                call.Registration.Unregister();
                call.Recycle();
                Statistics.Refusal();
                if (activity is not null)
                {
                    R2P2Activities.Stop(activity, R2P2Outcome.Failed);
                }

                return false;
            }

            // Before anything can end the call: the receive loop may complete it as soon as the lock is released.
            call.Measurement = R2P2Measurement.StartCall(Statistics.Instruments, method, activity);
            _inFlight = _protocol.InFlight;
            version = call.Version;
        }

        Statistics.Request();
        _loop.KeepSpinning(now); // the response is due in a round trip: let it find the loop spinning
        started = call;
        if (cancellationToken.IsCancellationRequested)
        {
            // Cancelled while registering: the callback found the call not yet in flight and did nothing.
            first!.Return();
            Cancel(call);
            return true;
        }

        if (batch is not null)
        {
            batch.Queue(first!, call, version);
            return true;
        }

        try
        {
            // A multi-packet request sends only its first packet; the rest leave on the ACK (docs/design/r2p2.md, "The multi-packet request handshake").
            _transport.Send(new ReadOnlySpan<PacketBuffer>(ref first!));
        }
        catch (Exception error) when (error is not ObjectDisposedException)
        {
            EndUnsent(call, version, error);
        }

        return true;
    }

    /// <summary>Ends a call whose first packet could not be sent, unless something else ended it already.</summary>
    private void EndUnsent(PendingCall call, short version, Exception error)
    {
        if (TryEnd(call, version))
        {
            call.Fail(R2P2CallStatus.SendFailed, new R2P2Exception("The request could not be sent.", error));
        }
    }

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

            _calls++;
        }

        return CreateCall();
    }

    private PendingCall CreateCall()
    {
        var trailer = _authenticator is null ? 0 : Security.AuthenticatedWire.RequestTrailerLength;
        var writer = new MessageWriter(_transport, _options.RequestPayloadSize, Fragmenter.MaxMessageLength(MessageType.Request, _options.RequestPayloadSize), trailer);
        return new PendingCall(this, writer, _options.RunContinuationsAsynchronously);
    }

    /// <summary>Takes a call out of flight (its send failed); false when it ended already (and maybe started again: another version).</summary>
    private bool TryEnd(PendingCall call, short version)
    {
        lock (_sync)
        {
            if (call.Version != version || !_protocol.TryEnd(call))
            {
                return false;
            }

            _inFlight = _protocol.InFlight;
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

            _inFlight = _protocol.InFlight;
        }

        Statistics.Cancellation();
        call.Measurement.End(R2P2Outcome.Cancelled);
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

            _inFlight = _protocol.InFlight;
        }

        for (var call = due; call is not null; call = call.NextCompleted)
        {
            call.Registration.Unregister();
        }

        return due;
    }

    /// <summary>Ends the calls <see cref="TakeExpired"/> took, each with <paramref name="status"/>.</summary>
    private void EndExpired(PendingCall? expired, R2P2CallStatus status)
    {
        while (expired is not null)
        {
            var next = expired.NextCompleted;
            expired.NextCompleted = null;
            Statistics.Timeout();
            expired.Fail(status);
            expired = next;
        }
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
            else if (step is ClientCallEvent.Completed or ClientCallEvent.Dropped or ClientCallEvent.Malformed)
            {
                _inFlight = _protocol.InFlight;
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
                EndOnLoop(call, R2P2CallStatus.Completed);
                break;
            case ClientCallEvent.Dropped:
                call!.Registration.Unregister();
                Statistics.Drop();
                EndOnLoop(call, R2P2CallStatus.Dropped);
                break;
            case ClientCallEvent.Malformed:
                call!.Registration.Unregister();
                Statistics.MalformedResponse();
                EndOnLoop(call, R2P2CallStatus.MalformedResponse);
                break;
        }

        return step is ClientCallEvent.ResponsePacketStored or ClientCallEvent.Completed;
    }

    private long OnTick(long now)
    {
        var expired = TakeExpired(now);
        if (expired is not null)
        {
            var inline = EnterInline(true);
            try
            {
                EndExpired(expired, R2P2CallStatus.TimedOut);
            }
            finally
            {
                ExitInline(inline);
            }
        }

        lock (_sync)
        {
            return _protocol.EarliestDeadline;
        }
    }

    /// <summary>Ends a call on the loop thread, marking the time spent in the caller's code if it runs inline.</summary>
    private void EndOnLoop(PendingCall call, R2P2CallStatus status)
    {
        var inline = EnterInline(call.EndsInline);
        try
        {
            if (status == R2P2CallStatus.Completed)
            {
                call.Succeed();
            }
            else
            {
                call.Fail(status);
            }
        }
#pragma warning disable CA1031 // User code resumed inline must not end the loop every call depends on.
        catch (Exception failure)
#pragma warning restore CA1031
        {
            _failures.Report(R2P2Failure.Continuation, failure);
        }
        finally
        {
            ExitInline(inline);
        }
    }

    /// <summary>
    /// The loop thread is about to run a caller's code (a callback, an inline continuation): the watchdog can then tell
    /// a loop blocked in there from one that moves on. Plain volatile writes: only the loop thread writes these fields.
    /// </summary>
    private bool EnterInline(bool inline)
    {
        if (inline)
        {
            Volatile.Write(ref _inlineEntries, _inlineEntries + 1);
            Volatile.Write(ref _inlineDepth, _inlineDepth + 1);
        }

        return inline;
    }

    private void ExitInline(bool inline)
    {
        if (inline)
        {
            Volatile.Write(ref _inlineDepth, _inlineDepth - 1);
        }
    }

    /// <summary>Starts the watchdog once, when the loop first may run callers' code inline.</summary>
    private void EnsureWatchdog()
    {
        if (Volatile.Read(ref _watchdog) is not null || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var period = TimeSpan.FromTicks(Math.Clamp(_options.Timeout.Ticks / 4, WatchdogMinPeriod.Ticks, WatchdogMaxPeriod.Ticks));
        var timer = new Timer(static state => ((R2P2Client)state!).Watch(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (Interlocked.CompareExchange(ref _watchdog, timer, null) is not null)
        {
            timer.Dispose();
            return;
        }

        timer.Change(period, period);
        if (Volatile.Read(ref _disposed) != 0)
        {
            timer.Dispose(); // disposed meanwhile: Dispose may have missed this timer
        }
    }

    /// <summary>
    /// The watchdog's tick. The loop is blocked when it has been inside callers' code since the previous tick without
    /// entering it again; then the calls whose timers fired end here, with the blocked-loop error, instead of never.
    /// </summary>
    private void Watch()
    {
        if (Interlocked.Exchange(ref _watching, 1) != 0)
        {
            return; // a previous tick is still ending calls (their inline code may block this thread too)
        }

        try
        {
            var entries = Volatile.Read(ref _inlineEntries);
            var inside = Volatile.Read(ref _inlineDepth) > 0;
            var blocked = inside && _watchedInside && entries == _watchedEntries;
            _watchedEntries = entries;
            _watchedInside = inside;
            if (!blocked || Volatile.Read(ref _disposed) != 0)
            {
                _reportedEntries = -1;
                return;
            }

            var expired = TakeExpired(Stopwatch.GetTimestamp());
            if (expired is null)
            {
                return;
            }

            if (_reportedEntries != entries)
            {
                _reportedEntries = entries; // one detection per blocked spell
                Statistics.BlockedLoopDetection();
            }

            EndExpired(expired, R2P2CallStatus.ReceiveLoopBlocked);
        }
        finally
        {
            Volatile.Write(ref _watching, 0);
        }
    }

    /// <summary>The client's side of its receive loop (a separate object keeps these methods off the client's public surface).</summary>
    private sealed class LoopHandler(R2P2Client client) : IReceiveLoopHandler
    {
        public bool OnPacket(ReceiveLoop loop, PacketBuffer packet) => client.OnPacket(loop, packet);

        public long OnTick(ReceiveLoop loop, long now) => client.OnTick(now);

        public void OnError(ReceiveLoop loop, Exception error)
        {
            client._failures.Report(R2P2Failure.ReceiveLoop, error);
            client._failures.Raise(client.ReceiveLoopError, client, error);
        }

        public void OnStopping(ReceiveLoop loop)
        {
        }
    }
}
