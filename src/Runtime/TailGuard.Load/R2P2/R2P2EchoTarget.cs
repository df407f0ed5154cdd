using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Load.R2P2;
using TailGuard.R2P2;

namespace TailGuard.Load;

/// <summary>
/// Raw R2P2: every request carries the same payload, and a response is <see cref="LoadOutcome.Ok"/> when it is as long
/// as the request (the server is an echo, such as <c>tailguard serve</c>); any other length is a wrong response.
/// </summary>
public sealed class R2P2EchoTarget : LoadTarget
{
    private readonly IPEndPoint _server;
    private readonly ReadOnlyMemory<byte> _payload;
    private readonly R2P2TargetOptions _options;

    /// <summary>Targets an echo server with random payloads of <paramref name="payloadSize"/> bytes.</summary>
    /// <param name="server">The server (IPv4).</param>
    /// <param name="payloadSize">The request size in bytes (0 to 1 MiB).</param>
    /// <param name="options">Connection settings; defaults when null.</param>
    public R2P2EchoTarget(IPEndPoint server, int payloadSize = 64, R2P2TargetOptions? options = null)
        : this(server, RandomPayload(payloadSize), options)
    {
    }

    /// <summary>Targets an echo server with a given payload.</summary>
    /// <param name="server">The server (IPv4).</param>
    /// <param name="payload">The request payload, sent with every request.</param>
    /// <param name="options">Connection settings; defaults when null.</param>
    public R2P2EchoTarget(IPEndPoint server, ReadOnlyMemory<byte> payload, R2P2TargetOptions? options = null)
    {
        R2P2TargetOptions.CheckEndPoint(server);
        _server = server;
        _payload = payload;
        _options = options ?? new R2P2TargetOptions();
    }

    /// <inheritdoc/>
    public override string Name => $"r2p2://{_server}";

    /// <summary>The payload every request carries.</summary>
    public ReadOnlyMemory<byte> Payload => _payload;

    /// <inheritdoc/>
    public override ValueTask<LoadConnection> ConnectAsync(LoadConnectionSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return ValueTask.FromResult<LoadConnection>(new EchoConnection(R2P2Connection.Open(_server, settings, _options), this));
    }

    private static byte[] RandomPayload(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, 1024 * 1024);
        var payload = new byte[size];
        Random.Shared.NextBytes(payload);
        return payload;
    }

    private sealed class EchoConnection(R2P2Connection inner, R2P2EchoTarget target) : LoadConnection
    {
        public override TimestampSource ReceiveTimestamps => inner.ReceiveTimestamps;

        public override long Faults => inner.Faults;

        public override object? CreateRequestState(LoadRequest request)
        {
            inner.AddRequest();
            return new R2P2EchoCall(request, inner, target._payload.Length);
        }

        // The callback form: an echo request costs no task, no continuation and no allocation (docs/r2p2.md).
        public override void Send(LoadRequest request) => inner.StartEcho((R2P2EchoCall)request.State!, target._payload);

        // Requests due together leave in one sendmmsg (R2P2CallBatch).
        public override void SendBatch(ReadOnlySpan<LoadRequest> requests) => inner.StartEchoBatch(requests, target._payload);

        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
