using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Load.R2P2;
using TailGuard.R2P2;

namespace TailGuard.Load;

/// <summary>
/// Any method of a generated <c>[R2P2Service]</c> client as a load target: give a way to wrap each connection's
/// <see cref="R2P2Client"/> in the generated client, and the call to make (docs/load.md has a complete example):
/// <code>
/// var target = new R2P2ServiceTarget&lt;KeyValueClient, bool&gt;(
///     server,
///     client =&gt; new KeyValueClient(client),
///     (kv, request) =&gt; kv.PutAsync(Keys[request.Sequence % Keys.Length], Value));
/// </code>
/// A call that returns is <see cref="LoadOutcome.Ok"/> unless <c>check</c> says otherwise; R2P2 timeouts, drops and
/// malformed or error responses are counted as such. Give <c>createBatchClient</c> too
/// (<c>batch =&gt; new KeyValueClient(batch)</c>) and requests that fall due together (docs/load.md, "Batched sends")
/// leave in one send: each connection's <see cref="LoadConnection.SendBatch"/> makes their calls through a client over
/// the connection's <see cref="R2P2CallBatch"/> and flushes it once (one <c>sendmmsg</c>). Without it they are sent one
/// at a time.
/// </summary>
/// <typeparam name="TClient">The generated client type.</typeparam>
/// <typeparam name="TResult">The method's result type.</typeparam>
public sealed class R2P2ServiceTarget<TClient, TResult> : LoadTarget
{
    private readonly IPEndPoint _server;
    private readonly Func<R2P2Client, TClient> _createClient;
    private readonly Func<R2P2CallBatch, TClient>? _createBatchClient;
    private readonly Func<TClient, LoadRequest, ValueTask<TResult>> _call;
    private readonly Func<TResult, LoadOutcome> _classify;
    private readonly R2P2TargetOptions _options;
    private readonly string _name;

    /// <summary>Creates the target.</summary>
    /// <param name="server">The server (IPv4).</param>
    /// <param name="createClient">Wraps a connection's R2P2 client in the generated client (called once per connection).</param>
    /// <param name="call">Makes one call; <see cref="LoadRequest.Sequence"/> can vary its arguments. It must not block.</param>
    /// <param name="check">Whether a result is the expected one (and the place to dispose a result lease); null accepts every result.</param>
    /// <param name="options">Connection settings; defaults when null.</param>
    /// <param name="name">The name in reports; defaults to <c>r2p2://server (TClient)</c>.</param>
    /// <param name="createBatchClient">
    /// Makes the generated client over a connection's <see cref="R2P2CallBatch"/> (its batch constructor; called once per
    /// connection), so requests due together leave in one send; null sends each request alone. <paramref name="call"/>
    /// must then make exactly one call through the client it is given.
    /// </param>
    public R2P2ServiceTarget(
        IPEndPoint server,
        Func<R2P2Client, TClient> createClient,
        Func<TClient, LoadRequest, ValueTask<TResult>> call,
        Func<TResult, bool>? check = null,
        R2P2TargetOptions? options = null,
        string? name = null,
        Func<R2P2CallBatch, TClient>? createBatchClient = null)
    {
        R2P2TargetOptions.CheckEndPoint(server);
        ArgumentNullException.ThrowIfNull(createClient);
        ArgumentNullException.ThrowIfNull(call);
        _server = server;
        _createClient = createClient;
        _createBatchClient = createBatchClient;
        _call = call;
        _classify = check is null ? static _ => LoadOutcome.Ok : result => check(result) ? LoadOutcome.Ok : LoadOutcome.WrongResponse;
        _options = options ?? new R2P2TargetOptions();
        _name = name ?? $"r2p2://{server} ({typeof(TClient).Name})";
    }

    /// <inheritdoc/>
    public override string Name => _name;

    /// <inheritdoc/>
    public override ValueTask<LoadConnection> ConnectAsync(LoadConnectionSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var inner = R2P2Connection.Open(_server, settings, _options);
        try
        {
            var client = _createClient(inner.Client);
            return ValueTask.FromResult<LoadConnection>(_createBatchClient is null
                ? new ServiceConnection(inner, client, default, this)
                : new BatchServiceConnection(inner, client, _createBatchClient(inner.Batch), this));
        }
        catch
        {
            inner.Dispose();
            throw;
        }
    }

    /// <summary>Sends each request alone (the default <see cref="LoadConnection.SendBatch"/>); the base of the batch form.</summary>
    private class ServiceConnection(R2P2Connection inner, TClient client, TClient? batchClient, R2P2ServiceTarget<TClient, TResult> target) : LoadConnection
    {
        protected R2P2Connection Inner => inner;

        public override TimestampSource ReceiveTimestamps => inner.ReceiveTimestamps;

        public override long Faults => inner.Faults;

        public override object? CreateRequestState(LoadRequest request)
        {
            inner.AddRequest();
            return new ServiceSend(inner, new R2P2Call<TResult>(request, inner, target._classify), client, batchClient, target._call);
        }

        public override void Send(LoadRequest request) => ((ServiceSend)request.State!).Send();

        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>Requests due together leave in one send: their calls go through the client over the connection's batch, flushed once.</summary>
    private sealed class BatchServiceConnection(R2P2Connection inner, TClient client, TClient batchClient, R2P2ServiceTarget<TClient, TResult> target)
        : ServiceConnection(inner, client, batchClient, target)
    {
        public override void SendBatch(ReadOnlySpan<LoadRequest> requests)
        {
            foreach (var request in requests)
            {
                ((ServiceSend)request.State!).Queue();
            }

            Inner.Flush();
        }
    }

    /// <summary>One pooled request's sends, its delegates made once so that a send allocates nothing.</summary>
    private sealed class ServiceSend
    {
        private readonly R2P2Connection _connection;
        private readonly R2P2Call<TResult> _call;
        private readonly Func<R2P2Client, ValueTask<TResult>> _send;
        private readonly Func<R2P2Client, ValueTask<TResult>>? _queue;

        public ServiceSend(R2P2Connection connection, R2P2Call<TResult> call, TClient client, TClient? batchClient, Func<TClient, LoadRequest, ValueTask<TResult>> invoke)
        {
            _connection = connection;
            _call = call;
            var request = call.Request;
            _send = _ => invoke(client, request);
            if (batchClient is not null)
            {
                _queue = _ => invoke(batchClient, request);
            }
        }

        public void Send() => _connection.Start(_call, _send);

        public void Queue() => _connection.Queue(_call, _queue!);
    }
}
