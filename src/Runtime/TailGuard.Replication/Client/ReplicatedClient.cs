using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.Replication.Sessions;

namespace TailGuard.Replication;

/// <summary>
/// Calls a replicated R2P2 service (docs/replication.md, "The client"): each call goes to every replica at once (one
/// socket, one rid, the same datagram), carries this client's id and the call's sequence number, and is retried
/// until its timeout with the same sequence number on DROP or when an attempt times out (a failover), so the
/// replicas apply it at most once and answer a retry of a call that ran with the response it had. Generated clients of
/// <c>[R2P2Service(Replicated = true)]</c> services wrap one. Thread-safe.
/// </summary>
public sealed class ReplicatedClient : IAsyncDisposable, IDisposable
{
    private readonly R2P2Client _client;
    private readonly FanOutTransport _transport;
    private readonly ReplicatedClientOptions _options;
    private readonly InFlightSequences _sequences;
    private ClientSession _session;

    /// <summary>Creates a client over a transport (which it owns from now on) and starts its receive loop.</summary>
    /// <param name="transport">The transport to send from and receive on.</param>
    /// <param name="replicas">Every replica's address, as the replicas' members list gives them.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <exception cref="ArgumentException">No replica, or more than 255; or a multicast group with an IPv6 socket.</exception>
    public ReplicatedClient(PacketTransport transport, IReadOnlyList<PacketAddress> replicas, ReplicatedClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(replicas);
        if (replicas.Count is < 1 or > 255)
        {
            throw new ArgumentException($"A replicated service has 1 to 255 replicas, not {replicas.Count}.", nameof(replicas));
        }

        _options = options ?? new ReplicatedClientOptions();
        _options.Validate();
        Replicas = replicas.ToArray();
        _session = new ClientSession(_options.ClientId ?? NewClientId());
        Statistics = new ReplicatedClientStatistics();
        _sequences = new InFlightSequences(_options.MaxInFlight, Statistics);
        PacketAddress? group = null;
        if (_options.MulticastGroup is { } multicast)
        {
            if (transport.LocalAddress.IsIPv6)
            {
                throw new ArgumentException($"MulticastGroup is an IPv4 group: the client's socket must be IPv4, not {transport.LocalAddress}.", nameof(transport));
            }

            group = PacketAddress.FromEndPoint(multicast);
        }

        _transport = new FanOutTransport(transport, Replicas.ToArray(), _options.FanOut, group, Statistics);
        _client = new R2P2Client(_transport, Replicas[0], new R2P2ClientOptions
        {
            Timeout = _options.AttemptTimeout,
            MaxInFlight = Math.Min(65536, _options.MaxInFlight * 2),
            PayloadSize = _options.PayloadSize,
            ReceiveMode = _options.ReceiveMode,
            OwnsTransport = true,

            // Any replica may answer (the replier the leader chose, or the leader the baseline's target moved to): with
            // the default (the destination only) every reply from another replica was dropped as forged and the call
            // waited for its attempt timeout. Only the replicas may answer, nobody else.
            ResponseSources = ResponseSources.Servers(Replicas),
        });
    }

    /// <summary>
    /// Creates a client on a new UDP socket (loopback when the first replica is loopback, otherwise every interface of its
    /// family), with <see cref="ReplicatedClientOptions.MulticastTimeToLive"/> and multicast loopback on (replicas on
    /// this host get the group's datagrams too).
    /// </summary>
    /// <param name="replicas">Every replica's endpoint.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <returns>The client.</returns>
    public static ReplicatedClient CreateUdp(IReadOnlyList<IPEndPoint> replicas, ReplicatedClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        if (replicas.Count == 0)
        {
            throw new ArgumentException("A replicated service has at least one replica.", nameof(replicas));
        }

        options?.Validate(); // before a socket is bound with its settings
        var first = replicas[0];
        var ipv6 = first.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var local = IPAddress.IsLoopback(first.Address)
            ? (ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback)
            : (ipv6 ? IPAddress.IPv6Any : IPAddress.Any);
        // The multicast settings are the socket's own (they only matter with a MulticastGroup); its bound address, when
        // not any, also picks the interface group datagrams leave by.
        var transport = UdpTransport.Bind(new IPEndPoint(local, 0), new UdpTransportOptions
        {
            MulticastTimeToLive = options?.MulticastTimeToLive ?? 1,
            MulticastLoopback = true,
        });
        try
        {
            return new ReplicatedClient(transport, replicas.Select(PacketAddress.FromEndPoint).ToArray(), options);
        }
        catch
        {
            transport.Dispose();
            throw;
        }
    }

    /// <summary>
    /// This client's id in the replicas' session table: <see cref="ReplicatedClientOptions.ClientId"/> (or a random one)
    /// until the replicas answer a write <see cref="R2P2ServiceStatus.SessionExpired"/>, then a new random one
    /// (docs/replication.md, "Exactly-once effects").
    /// </summary>
    public ulong ClientId => Volatile.Read(ref _session).Id;

    /// <summary>The replicas calls go to.</summary>
    public IReadOnlyList<PacketAddress> Replicas { get; }

    /// <summary>The address calls are sent from.</summary>
    public PacketAddress LocalAddress => _transport.LocalAddress;

    /// <summary>This client's counts.</summary>
    public ReplicatedClientStatistics Statistics { get; }

    /// <summary>
    /// Sends one call whose payload <paramref name="writePayload"/> writes, retrying it (same sequence number) until it
    /// is answered or the client's <see cref="ReplicatedClientOptions.Timeout"/> passes.
    /// </summary>
    /// <typeparam name="TState">The arguments the writer needs.</typeparam>
    /// <param name="state">The arguments, copied for the retries.</param>
    /// <param name="writePayload">Writes the payload; called once per attempt.</param>
    /// <param name="policy"><see cref="RoutingPolicy.Replicated"/> (a write) or <see cref="RoutingPolicy.ReplicatedReadOnly"/> (a read).</param>
    /// <param name="cancellationToken">Cancels the call (its outcome is then unknown: it may have been applied).</param>
    /// <returns>The response lease; dispose it to return the buffers.</returns>
    /// <exception cref="R2P2TimeoutException">No attempt was answered in time (the call may or may not have been applied).</exception>
    public ValueTask<R2P2Response> CallAsync<TState>(in TState state, R2P2PayloadWriter<TState> writePayload, RoutingPolicy policy = RoutingPolicy.Replicated, CancellationToken cancellationToken = default)
        => CallAsync(in state, writePayload, policy, _options.Timeout, cancellationToken);

    /// <summary>Sends one call with its own overall timeout (see the other overload).</summary>
    /// <typeparam name="TState">The arguments the writer needs.</typeparam>
    /// <param name="state">The arguments, copied for the retries.</param>
    /// <param name="writePayload">Writes the payload; called once per attempt.</param>
    /// <param name="policy"><see cref="RoutingPolicy.Replicated"/> or <see cref="RoutingPolicy.ReplicatedReadOnly"/>.</param>
    /// <param name="timeout">How long the call may take with all its attempts.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response lease; dispose it to return the buffers.</returns>
    public ValueTask<R2P2Response> CallAsync<TState>(in TState state, R2P2PayloadWriter<TState> writePayload, RoutingPolicy policy, TimeSpan timeout, CancellationToken cancellationToken = default)
        => Start(method: null, in state, writePayload, policy, timeout, cancellationToken);

    /// <summary>
    /// Sends one call of a service method (what generated clients call): as the other overloads, and each attempt's
    /// duration, outcome and span are tagged with <paramref name="method"/> (docs/hosting.md).
    /// </summary>
    /// <typeparam name="TState">The arguments the writer needs.</typeparam>
    /// <param name="method">The method called.</param>
    /// <param name="state">The arguments, copied for the retries.</param>
    /// <param name="writePayload">Writes the payload; called once per attempt.</param>
    /// <param name="policy"><see cref="RoutingPolicy.Replicated"/> or <see cref="RoutingPolicy.ReplicatedReadOnly"/>.</param>
    /// <param name="timeout">How long the call may take with all its attempts; null uses the options' timeout.</param>
    /// <param name="cancellationToken">Cancels the call (its outcome is then unknown: it may have been applied).</param>
    /// <returns>The response lease; dispose it to return the buffers.</returns>
    /// <exception cref="R2P2TimeoutException">No attempt was answered in time (the call may or may not have been applied).</exception>
    public ValueTask<R2P2Response> CallAsync<TState>(R2P2MethodDescriptor method, in TState state, R2P2PayloadWriter<TState> writePayload, RoutingPolicy policy, TimeSpan? timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        return Start(method, in state, writePayload, policy, timeout ?? _options.Timeout, cancellationToken);
    }

    /// <summary>Sends one call whose payload is <paramref name="payload"/>.</summary>
    /// <param name="payload">The service's request payload.</param>
    /// <param name="policy"><see cref="RoutingPolicy.Replicated"/> or <see cref="RoutingPolicy.ReplicatedReadOnly"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response lease; dispose it to return the buffers.</returns>
    public ValueTask<R2P2Response> CallAsync(ReadOnlyMemory<byte> payload, RoutingPolicy policy = RoutingPolicy.Replicated, CancellationToken cancellationToken = default)
        => CallAsync(in payload, CopyPayload.Writer, policy, _options.Timeout, cancellationToken);

    /// <summary>Stops the receive loop, fails calls in flight and closes the socket.</summary>
    public void Dispose() => _client.Dispose();

    /// <inheritdoc cref="Dispose"/>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync() => _client.DisposeAsync();

    // Every public call form checks its arguments here, once, before the first attempt.
    private ValueTask<R2P2Response> Start<TState>(R2P2MethodDescriptor? method, in TState state, R2P2PayloadWriter<TState> writePayload, RoutingPolicy policy, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writePayload);
        if (policy is not (RoutingPolicy.Replicated or RoutingPolicy.ReplicatedReadOnly))
        {
            throw new ArgumentOutOfRangeException(nameof(policy), policy, "A replicated call is Replicated (a write) or ReplicatedReadOnly (a read).");
        }

        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The call timeout must be positive.");
        }

        return CallCoreAsync(method, state, writePayload, policy, timeout, cancellationToken);
    }

    /// <summary>
    /// What a write's answer says about its session (docs/replication.md, "Exactly-once effects"); false when the
    /// session is gone: SessionExpired says the replicas no longer have it (evicted, or replaced by a registration of
    /// the same id), so the client starts a new one, with a new id, registered before its next write.
    /// </summary>
    private bool Answered(ClientSession session, in R2P2Response response)
    {
        var payload = response.Payload;
        if (payload.Length != 1 || payload.FirstSpan[0] != (byte)R2P2ServiceStatus.SessionExpired)
        {
            return true;
        }

        if (Interlocked.CompareExchange(ref _session, new ClientSession(NewClientId()), session) == session)
        {
            Statistics.SessionRenewed();
        }

        return false;
    }

    // One registration's attempts (each with a new rid, the same client id and nonce: a second attempt ordered after
    // the first registers nothing new) until one is answered or the time is up; the replicas' answer is an Ok byte and
    // the epoch. The waiters' cancellation does not stop it: others may wait too.
    private async Task<long> RunRegistrationAsync(ClientSession session, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        var header = SessionHeader.Registration(session.Id, session.Nonce);
        var delay = _options.RetryDelay;
        while (true)
        {
            var remaining = timeout - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                throw new R2P2TimeoutException();
            }

            var target = _transport.Target;
            Statistics.Registration();
            try
            {
                using var response = await _client.CallAsync(in header, RegistrationWriter, RoutingPolicy.Replicated, Attempt(remaining)).ConfigureAwait(false);
                return ReadEpoch(response.Payload);
            }
            catch (R2P2DroppedException)
            {
                delay = await AfterDropAsync(target, delay, remaining, CancellationToken.None).ConfigureAwait(false);
            }
            catch (R2P2TimeoutException)
            {
                AfterTimeout(target);
            }
        }
    }

    private static long ReadEpoch(ReadOnlySequence<byte> payload)
    {
        Span<byte> answer = stackalloc byte[SessionHeader.RegisteredSize];
        if (payload.Length == SessionHeader.RegisteredSize)
        {
            payload.CopyTo(answer);
            var epoch = BinaryPrimitives.ReadInt64BigEndian(answer[1..]);
            if (answer[0] == (byte)R2P2ServiceStatus.Ok && epoch >= 1)
            {
                return epoch;
            }
        }

        if (payload.Length == 1)
        {
            throw new R2P2ServiceException((R2P2ServiceStatus)payload.FirstSpan[0]);
        }

        throw new R2P2ServiceException($"The replicas answered a session registration with {payload.Length} bytes, not a session epoch: do they run this version of TailGuard.Replication?");
    }

    private TimeSpan Attempt(TimeSpan remaining) => remaining < _options.AttemptTimeout ? remaining : _options.AttemptTimeout;

    // After a DROP: without fan-out the next replica is tried; then a delay that doubles up to 64 times the first.
    private async ValueTask<TimeSpan> AfterDropAsync(int target, TimeSpan delay, TimeSpan remaining, CancellationToken cancellationToken)
    {
        Statistics.Drop();
        if (!_options.FanOut)
        {
            _transport.MoveTarget(target);
        }

        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay < remaining ? delay : remaining, cancellationToken).ConfigureAwait(false);
        }

        return delay * 2 > _options.RetryDelay * 64 ? _options.RetryDelay * 64 : delay * 2;
    }

    // After an attempt timed out (a lost datagram, or a failover): without fan-out the next replica is tried.
    private void AfterTimeout(int target)
    {
        Statistics.Timeout();
        if (!_options.FanOut)
        {
            _transport.MoveTarget(target);
        }
    }

    private static ulong NewClientId()
    {
        Span<byte> bytes = stackalloc byte[8];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return Math.Max(1, BitConverter.ToUInt64(bytes));
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<R2P2Response> CallCoreAsync<TState>(R2P2MethodDescriptor? method, TState state, R2P2PayloadWriter<TState> writePayload, RoutingPolicy policy, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Statistics.Call();
        var started = Stopwatch.GetTimestamp();
        long sequence;
        try
        {
            sequence = await _sequences.BeginAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (R2P2TimeoutException)
        {
            Statistics.Failure();
            throw;
        }

        // Every attempt of a call is in the session the call started in (a retry in a newer session could run twice),
        // except when that session's only attempt was refused SessionExpired: refused unrun, and never sent elsewhere.
        var session = Volatile.Read(ref _session);
        var sentInSession = false;
        try
        {
            var delay = _options.RetryDelay;
            while (true)
            {
                var remaining = timeout - Stopwatch.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    Statistics.Failure();
                    throw new R2P2TimeoutException();
                }

                // A write is sent only in a registered session: it carries the session's epoch, and a replica runs it only
                // in the session registered for its client id at that epoch (docs/replication.md, "Exactly-once effects").
                if (policy == RoutingPolicy.Replicated && session.Epoch == 0)
                {
                    try
                    {
                        await session.Registration(this, remaining).WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is TimeoutException or R2P2TimeoutException)
                    {
                        // This call's time, or a shorter one of the call that started the registration: the check above says which.
                    }

                    continue;
                }

                var request = new Request<TState>(new SessionHeader(session.Id, session.Epoch, sequence, _sequences.Floor), state, writePayload, _options.PayloadSize);
                var target = _transport.Target;
                Statistics.Attempt();
                try
                {
                    var response = method is null
                        ? await _client.CallAsync(in request, Request<TState>.Writer, policy, Attempt(remaining), cancellationToken).ConfigureAwait(false)
                        : await _client.CallAsync(method, in request, Request<TState>.Writer, policy, Attempt(remaining), cancellationToken).ConfigureAwait(false);
                    if (policy == RoutingPolicy.Replicated && !Answered(session, response) && !sentInSession)
                    {
                        response.Dispose();
                        session = Volatile.Read(ref _session);
                        continue;
                    }

                    return response;
                }
                catch (R2P2DroppedException)
                {
                    delay = await AfterDropAsync(target, delay, remaining, cancellationToken).ConfigureAwait(false);
                }
                catch (R2P2TimeoutException)
                {
                    AfterTimeout(target);
                }

                sentInSession = true;
            }
        }
        finally
        {
            _sequences.End(sequence);
        }
    }

    /// <summary>One session of this client in the replicas' session table: its id and nonce, and its epoch once registered.</summary>
    private sealed class ClientSession(ulong id)
    {
        private readonly object _gate = new();
        private volatile Task<long>? _registration;

        public ulong Id { get; } = id;

        /// <summary>Names this session in its registrations: drawn per session, so a restarted client's differs.</summary>
        public long Nonce { get; } = Random.Shared.NextInt64(1, long.MaxValue);

        /// <summary>The log index at which the replicas registered the session (its registration's result); 0 until then.</summary>
        public long Epoch => _registration is { IsCompletedSuccessfully: true } registered ? registered.Result : 0;

        /// <summary>
        /// The registration under way (concurrent first writes share it), or a new one when there is none or the last
        /// one failed.
        /// </summary>
        public Task<long> Registration(ReplicatedClient client, TimeSpan timeout)
        {
            lock (_gate)
            {
                if (_registration is null || _registration.IsFaulted || _registration.IsCanceled)
                {
                    _registration = client.RunRegistrationAsync(this, timeout);
                }

                return _registration;
            }
        }
    }

    /// <summary>One attempt's payload: the session header, then what the service's writer writes; one packet at most.</summary>
    private readonly struct Request<TState>(SessionHeader header, TState state, R2P2PayloadWriter<TState> write, int payloadSize)
    {
        public static readonly R2P2PayloadWriter<Request<TState>> Writer = static (output, in request) => request.WriteTo(output);

        private void WriteTo(IBufferWriter<byte> output)
        {
            header.Write(output.GetSpan(SessionHeader.Size));
            output.Advance(SessionHeader.Size);
            write(output, in state);
            if (output is MessageWriter message && message.Length > payloadSize)
            {
                throw new ArgumentException($"A replicated request must fit one packet: {message.Length - SessionHeader.Size} bytes of payload and the {SessionHeader.Size}-byte session header exceed PayloadSize ({payloadSize}).");
            }
        }
    }

    private static readonly R2P2PayloadWriter<SessionHeader> RegistrationWriter = static (output, in header) =>
    {
        header.Write(output.GetSpan(SessionHeader.Size));
        output.Advance(SessionHeader.Size);
    };

    private static class CopyPayload
    {
        public static readonly R2P2PayloadWriter<ReadOnlyMemory<byte>> Writer = static (output, in payload) => output.Write(payload.Span);
    }
}
