using System;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using TailGuard.Load;

namespace TailGuard.Tool.Grpc;

/// <summary>
/// The gRPC unary baseline as a load target: every connection is its own channel (its own HTTP/2 connection), every
/// request the same payload, and a reply is <see cref="LoadOutcome.Ok"/> when it is as long as the request. Receive
/// timestamps come from the monotonic clock when the call's continuation runs (gRPC keeps its sockets to itself).
/// </summary>
internal sealed class GrpcEchoTarget : LoadTarget
{
    private readonly Uri _address;
    private readonly EchoMessage _request;

    public GrpcEchoTarget(IPEndPoint server, int payloadSize)
    {
        Server = server;
        _address = new Uri($"http://{server}");
        var payload = new byte[payloadSize];
        Random.Shared.NextBytes(payload);
        _request = new EchoMessage { Payload = ByteString.CopyFrom(payload) };
    }

    public IPEndPoint Server { get; }

    public override string Name => $"grpc://{Server}";

    public override ValueTask<LoadConnection> ConnectAsync(LoadConnectionSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return ValueTask.FromResult<LoadConnection>(new GrpcEchoConnection(OpenChannel(), _request, settings.Timeout));
    }

    /// <summary>One call with a deadline: throws <see cref="RpcException"/> when the server cannot be reached.</summary>
    public async Task ProbeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var channel = OpenChannel();
        var client = new Echo.EchoClient(channel);
        await client.EchoAsync(_request, deadline: DateTime.UtcNow + timeout, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
    }

    private GrpcChannel OpenChannel() => GrpcChannel.ForAddress(_address, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        },
        DisposeHttpClient = true,
    });

    private sealed class GrpcEchoConnection(GrpcChannel channel, EchoMessage message, TimeSpan timeout) : LoadConnection
    {
        private readonly Echo.EchoClient _client = new(channel);
        private readonly EchoMessage _message = message;
        private readonly TimeSpan _timeout = timeout;

        public override TimestampSource ReceiveTimestamps => TimestampSource.MonotonicClock;

        public override object? CreateRequestState(LoadRequest loadRequest) => new GrpcCall(this, loadRequest);

        public override void Send(LoadRequest loadRequest) => ((GrpcCall)loadRequest.State!).Start();

        public override ValueTask DisposeAsync()
        {
            channel.Dispose();
            return ValueTask.CompletedTask;
        }

        /// <summary>One pooled request's call: its continuation is allocated once; gRPC itself allocates per call.</summary>
        private sealed class GrpcCall
        {
            private readonly GrpcEchoConnection _connection;
            private readonly LoadRequest _request;
            private readonly Action _onCompleted;
            private AsyncUnaryCall<EchoMessage>? _call;

            public GrpcCall(GrpcEchoConnection connection, LoadRequest request)
            {
                _connection = connection;
                _request = request;
                _onCompleted = OnCompleted;
            }

            public void Start()
            {
                var call = _connection._client.EchoAsync(_connection._message, deadline: DateTime.UtcNow + _connection._timeout);
                _call = call;
                var awaiter = call.ResponseAsync.GetAwaiter();
                if (awaiter.IsCompleted)
                {
                    OnCompleted();
                }
                else
                {
                    awaiter.UnsafeOnCompleted(_onCompleted);
                }
            }

            private void OnCompleted()
            {
                var call = _call!;
                _call = null;
                LoadOutcome outcome;
                try
                {
                    var reply = call.ResponseAsync.GetAwaiter().GetResult();
                    outcome = reply.Payload.Length == _connection._message.Payload.Length ? LoadOutcome.Ok : LoadOutcome.WrongResponse;
                }
                catch (RpcException error)
                {
                    outcome = error.StatusCode switch
                    {
                        StatusCode.DeadlineExceeded => LoadOutcome.Timeout,
                        StatusCode.ResourceExhausted => LoadOutcome.Dropped,
                        _ => LoadOutcome.Failed,
                    };
                }
                catch (Exception)
                {
                    outcome = LoadOutcome.Failed;
                }
                finally
                {
                    call.Dispose();
                }

                _request.Complete(outcome);
            }
        }
    }
}
