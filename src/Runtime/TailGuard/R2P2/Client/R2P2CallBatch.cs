using System;
using System.Threading;
using System.Threading.Tasks;

namespace TailGuard.R2P2;

/// <summary>
/// Calls that leave together. Each call made through a batch starts at once, as on the client (it gets its rid and
/// its timer, and counts against <see cref="R2P2ClientOptions.MaxInFlight"/>), but its first packet waits here until
/// <see cref="Flush"/>, which hands every waiting packet to the transport in one send: one <c>sendmmsg</c> system call
/// over UDP on Linux instead of one per call. For a sender that has several calls due at once (an open-loop
/// generator catching up, a fan-out). Created by <see cref="R2P2Client.CreateBatch"/>; reuse it: queueing allocates
/// nothing.
/// </summary>
/// <remarks>
/// Not thread-safe: one batch per sending thread. A call's timer runs from when it was queued, so flush promptly. A
/// full batch flushes itself before queueing one more. A call that ends before its batch is flushed (cancelled, or its
/// client disposed) still has its first packet sent, and the answer is ignored as a datagram for no call. Unflushed
/// packets are never sent; their calls time out.
/// </remarks>
public sealed class R2P2CallBatch
{
    /// <summary>The capacity <see cref="R2P2Client.CreateBatch"/> uses unless told otherwise.</summary>
    public const int DefaultCapacity = 32;

    private readonly R2P2Client _client;
    private readonly PacketBuffer[] _packets;
    private readonly PendingCall[] _calls;
    private readonly short[] _versions;
    private int _count;

    internal R2P2CallBatch(R2P2Client client, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1024);
        _client = client;
        _packets = new PacketBuffer[capacity];
        _calls = new PendingCall[capacity];
        _versions = new short[capacity];
    }

    /// <summary>The client the calls belong to.</summary>
    public R2P2Client Client => _client;

    /// <summary>The most first packets the batch holds before it flushes itself.</summary>
    public int Capacity => _packets.Length;

    /// <summary>How many first packets wait for <see cref="Flush"/>.</summary>
    public int Count => _count;

    /// <summary>
    /// Queues a call as <see cref="R2P2Client.CallAsync{TState}(in TState, R2P2PayloadWriter{TState}, RoutingPolicy, TimeSpan, CancellationToken)"/>
    /// starts one; its first packet leaves at <see cref="Flush"/>.
    /// </summary>
    /// <typeparam name="TState">The arguments the writer needs.</typeparam>
    /// <param name="state">The arguments, passed by reference to the writer before this method returns.</param>
    /// <param name="writePayload">Writes the payload; called once, synchronously.</param>
    /// <param name="policy">The routing policy of the request.</param>
    /// <param name="timeout">This call's one timer; null for <see cref="R2P2ClientOptions.Timeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response lease; dispose it to return the buffers.</returns>
    /// <exception cref="InvalidOperationException"><see cref="R2P2ClientOptions.MaxInFlight"/> calls are in flight.</exception>
    public ValueTask<R2P2Response> CallAsync<TState>(
        in TState state,
        R2P2PayloadWriter<TState> writePayload,
        RoutingPolicy policy = RoutingPolicy.LoadBalanced,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
        => _client.CallOrThrow(in state, writePayload, policy, timeout ?? _client.DefaultTimeout, this, cancellationToken);

    /// <summary>
    /// Queues a call of a service method, as <see cref="R2P2Client.CallAsync{TState}(R2P2MethodDescriptor, in TState, R2P2PayloadWriter{TState}, RoutingPolicy, TimeSpan?, CancellationToken)"/>
    /// starts one (its duration, outcome and span tagged with <paramref name="method"/>); its first packet leaves at
    /// <see cref="Flush"/>. What a generated client made over a batch calls.
    /// </summary>
    /// <typeparam name="TState">The arguments the writer needs.</typeparam>
    /// <param name="method">The method called.</param>
    /// <param name="state">The arguments, passed by reference to the writer before this method returns.</param>
    /// <param name="writePayload">Writes the payload; called once, synchronously, with the call's span (if any) current.</param>
    /// <param name="policy">The routing policy of the request.</param>
    /// <param name="timeout">This call's one timer; null for <see cref="R2P2ClientOptions.Timeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response lease; dispose it to return the buffers.</returns>
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
        return _client.CallOrThrow(in state, writePayload, policy, timeout ?? _client.DefaultTimeout, this, cancellationToken, method);
    }

    /// <summary>Queues a call with <paramref name="payload"/> (copied; see the other overload).</summary>
    /// <param name="payload">The request payload.</param>
    /// <param name="policy">The routing policy of the request.</param>
    /// <param name="timeout">This call's one timer; null for <see cref="R2P2ClientOptions.Timeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response lease; dispose it to return the buffers.</returns>
    /// <exception cref="InvalidOperationException"><see cref="R2P2ClientOptions.MaxInFlight"/> calls are in flight.</exception>
    public ValueTask<R2P2Response> CallAsync(
        ReadOnlyMemory<byte> payload,
        RoutingPolicy policy = RoutingPolicy.LoadBalanced,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
        => _client.CallOrThrow(in payload, R2P2Client.CopyPayloadWriter, policy, timeout ?? _client.DefaultTimeout, this, cancellationToken);

    /// <summary>
    /// Queues a call as <see cref="R2P2Client.TryCallAsync{TState}(in TState, R2P2PayloadWriter{TState}, out ValueTask{R2P2Response}, RoutingPolicy, TimeSpan?, CancellationToken)"/>
    /// starts one: false, and nothing queued, when <see cref="R2P2ClientOptions.MaxInFlight"/> calls are in flight.
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
        => _client.TryStartAwaited(in state, writePayload, out response, policy, timeout, this, cancellationToken);

    /// <summary>Queues a call with <paramref name="payload"/> (copied) unless <see cref="R2P2ClientOptions.MaxInFlight"/> calls are in flight (see the other overload).</summary>
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
        => _client.TryStartAwaited(in payload, R2P2Client.CopyPayloadWriter, out response, policy, timeout, this, cancellationToken);

    /// <summary>
    /// Queues a call whose end is told to <paramref name="callback"/>, as
    /// <see cref="R2P2Client.TryCall{TState}(in TState, R2P2PayloadWriter{TState}, IR2P2CallCallback, object?, RoutingPolicy, TimeSpan?)"/>
    /// starts one: false, and nothing queued, when <see cref="R2P2ClientOptions.MaxInFlight"/> calls are in flight.
    /// </summary>
    /// <typeparam name="TState">The arguments the writer needs.</typeparam>
    /// <param name="state">The arguments, passed by reference to the writer before this method returns.</param>
    /// <param name="writePayload">Writes the payload; called once, synchronously, only when the call starts.</param>
    /// <param name="callback">Told once how the call ended.</param>
    /// <param name="callbackState">Handed back in <see cref="R2P2CallCompletion.State"/>.</param>
    /// <param name="policy">The routing policy of the request.</param>
    /// <param name="timeout">This call's one timer; null for <see cref="R2P2ClientOptions.Timeout"/>.</param>
    /// <returns>Whether the call started.</returns>
    public bool TryCall<TState>(
        in TState state,
        R2P2PayloadWriter<TState> writePayload,
        IR2P2CallCallback callback,
        object? callbackState = null,
        RoutingPolicy policy = RoutingPolicy.LoadBalanced,
        TimeSpan? timeout = null)
        => _client.TryStartWithCallback(in state, writePayload, callback, callbackState, policy, timeout, this);

    /// <summary>Queues a call with <paramref name="payload"/> (copied) whose end is told to <paramref name="callback"/> (see the other overload).</summary>
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
        => _client.TryStartWithCallback(in payload, R2P2Client.CopyPayloadWriter, callback, callbackState, policy, timeout, this);

    /// <summary>
    /// Sends the first packet of every queued call in one transport send (one <c>sendmmsg</c> over UDP on Linux), and
    /// empties the batch. A call whose packet the transport refuses ends as unsent (<see cref="R2P2Exception"/>, or
    /// <see cref="R2P2CallStatus.SendFailed"/>). Nothing to send does nothing.
    /// </summary>
    public void Flush()
    {
        var count = _count;
        if (count == 0)
        {
            return;
        }

        _count = 0;
        try
        {
            _client.SendBatch(_packets.AsSpan(0, count), _calls.AsSpan(0, count), _versions.AsSpan(0, count));
        }
        finally
        {
            Array.Clear(_packets, 0, count);
            Array.Clear(_calls, 0, count);
        }
    }

    internal void Queue(PacketBuffer first, PendingCall call, short version)
    {
        if (_count == _packets.Length)
        {
            Flush();
        }

        _packets[_count] = first;
        _calls[_count] = call;
        _versions[_count] = version;
        _count++;
    }
}
