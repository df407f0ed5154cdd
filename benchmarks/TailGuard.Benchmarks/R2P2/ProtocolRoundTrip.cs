using System;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.R2P2.Security;

namespace TailGuard.Benchmarks.R2P2;

/// <summary>
/// One one-packet call's protocol work on both sides, without I/O or threads: the client starts the call (rid, deadline,
/// and in authenticated mode the call nonce and the request's tag), the server's protocol takes the request (header
/// checks, admission, and in authenticated mode the tag check and the replay window), the echo is written in place and
/// (authenticated) sealed as the server seals replies, and the client's protocol takes it (source binding, and the reply
/// tag), then the call is reset for the next. What <see cref="R2P2CostMicrobenchmarks"/> times per call.
/// </summary>
internal sealed class ProtocolRoundTrip : IDisposable
{
    private static readonly PacketAddress ClientAddress = new(0x7F000001, 40000);
    private static readonly PacketAddress ServerAddress = new(0x7F000001, 50000);
    private readonly PacketBufferPool _pool = new(1600);
    private readonly MessageWriter _writer;
    private readonly ClientProtocol _client;
    private readonly ServerProtocol _server;
    private readonly ClientCall _call = new();
    private readonly ClientAuthenticator? _clientAuthenticator;
    private readonly ServerAuthenticator? _serverAuthenticator;
    private readonly ServerAuthenticator.CipherCache? _ciphers;
    private readonly int _size;

    /// <summary>Creates both sides; authenticated when <paramref name="key"/> is given.</summary>
    public ProtocolRoundTrip(R2P2Key? key, int size)
    {
        _size = size;
        var trailer = key is null ? 0 : AuthenticatedWire.RequestTrailerLength;
        _writer = new MessageWriter(_pool, 1464 - trailer, 1 << 20, trailer);
        var options = new R2P2ServerOptions { AuthenticationKeys = key is null ? null : new R2P2KeyRing(key) };
        if (key is not null)
        {
            _clientAuthenticator = new ClientAuthenticator(key);
            _serverAuthenticator = new ServerAuthenticator(options.AuthenticationKeys!, options.ReplayWindow, options.MaxClockSkew);
            _ciphers = _serverAuthenticator.CreateCache();
        }

        _client = new ClientProtocol(16, 16, ResponseSources.Destination, ClientProtocol.DefaultQuarantineTicks) { Authenticator = _clientAuthenticator };
        _server = new ServerProtocol(options, null, _serverAuthenticator, _ciphers);
    }

    /// <summary>Runs <paramref name="calls"/> calls; throws if one does not complete.</summary>
    public void Run(int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            var packet = StartCall();
            packet.Address = ClientAddress;
            var step = _server.Receive(packet, 0);
            if (step.Kind != ServerEventKind.Deliver || step.Payload.Length != _size)
            {
                throw new InvalidOperationException($"The server did not deliver the request: {step.Kind} {step.Rejection}.");
            }

            // The echo, in the request's buffer: the same payload under a response header (the server's writer builds
            // the same bytes into a new buffer), sealed as the server seals its replies.
            R2P2Header.Write(packet.Storage, MessageType.Response, RoutingPolicy.Fixed, R2P2Header.FlagsSingle, step.RequestId, 1);
            packet.Length = R2P2Header.Size + _size;
            _serverAuthenticator?.SealReply(_ciphers, packet, step.Key!, step.CallNonce);
            _server.EndDelivery();
            packet.Address = ServerAddress;
            if (_client.Receive(packet, out _) != ClientCallEvent.Completed)
            {
                throw new InvalidOperationException("The client did not complete the call.");
            }

            _call.Reset();
        }
    }

    /// <summary>The server's part alone: <paramref name="requests"/> times the same one-packet request through its protocol.</summary>
    public void RunServer(int requests)
    {
        var packet = _pool.Rent();
        R2P2Header.Write(packet.Storage, MessageType.Request, RoutingPolicy.LoadBalanced, R2P2Header.FlagsSingle, 7, 1);
        packet.Length = R2P2Header.Size + _size;
        packet.Address = ClientAddress;
        for (var i = 0; i < requests; i++)
        {
            if (_server.Receive(packet, 0).Kind != ServerEventKind.Deliver)
            {
                throw new InvalidOperationException("The server did not deliver the request.");
            }

            _server.EndDelivery();
        }

        packet.Return();
    }

    /// <summary>The client's part alone: start a call, take its response (unsealed), reset.</summary>
    public void RunClient(int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            var packet = StartCall();
            R2P2Header.Write(packet.Storage, MessageType.Response, RoutingPolicy.Fixed, R2P2Header.FlagsSingle, _call.RequestId, 1);
            packet.Length = R2P2Header.Size + _size;
            packet.Address = ServerAddress;
            if (_client.Receive(packet, out _) != ClientCallEvent.Completed)
            {
                throw new InvalidOperationException("The client did not complete the call.");
            }

            _call.Reset();
        }
    }

    /// <summary>Writes the request (<c>_size</c> bytes) and starts its call: the packet the client would send.</summary>
    private PacketBuffer StartCall()
    {
        _writer.Start();
        _writer.GetSpan(_size)[.._size].Fill(0x5A);
        _writer.Advance(_size);
        _call.BuildRequest(_writer, RoutingPolicy.LoadBalanced, ServerAddress);
        return _client.TryStart(_call, long.MaxValue, out var packet) ? packet! : throw new InvalidOperationException("The call did not start.");
    }

    public void Dispose() => _clientAuthenticator?.Dispose();
}
