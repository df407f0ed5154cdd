using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Security;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Security;

/// <summary>
/// The opt-in authenticated mode (docs/security.md, "Authenticated mode"), written as an attacker who knows the wire
/// format and can send from the right address but holds no key, or holds another client's key: nothing it sends
/// reaches a handler or completes a call, and the bytes on the wire are the documented ones (checked with
/// <see cref="AuthenticatedWireReference"/>, written from the doc, not the runtime).
/// </summary>
public abstract partial class AuthenticatedModeTests : IDisposable
{
    private const uint KeyA = 7;
    private const uint KeyB = 8;
    private const int RequestChunk = 1464 - AuthenticatedWireReference.RequestTrailer;
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private readonly List<IDisposable> _owned = [];
    private readonly R2P2Key _keyA = R2P2Key.Generate(KeyA);
    private readonly R2P2Key _keyB = R2P2Key.Generate(KeyB, 16);

    protected AuthenticatedModeTests(TestNetwork network)
    {
        Network = network;
        _owned.Add(_keyA);
        _owned.Add(_keyB);
    }

    protected TestNetwork Network { get; }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    [InlineData(1436)]
    [InlineData(5000)]
    [InlineData(40000)]
    public async Task Calls_round_trip_and_the_handler_learns_which_key_sent_them(int length)
    {
        var handler = new KeyRecordingHandler();
        var server = Own(new R2P2Server(Network.Bind(), handler, new R2P2ServerOptions { AuthenticationKeys = new R2P2KeyRing(_keyA, _keyB) }));
        var clientA = Client(server.LocalAddress, _keyA);
        var clientB = Client(server.LocalAddress, _keyB);

        var payload = Payloads.Make(length, tag: 3);
        using (var response = await clientA.CallAsync(payload).AsTask().WaitAsync(Payloads.Generous))
        {
            Assert.Equal(payload, Payloads.ToArray(response.Payload));
        }

        using (var response = await clientB.CallAsync(payload).AsTask().WaitAsync(Payloads.Generous))
        {
            Assert.Equal(payload, Payloads.ToArray(response.Payload));
        }

        Assert.Equal(new uint?[] { KeyA, KeyB }, handler.KeyIds.ToArray());
        Assert.Equal(0, server.Statistics.UnauthenticatedDatagrams);
    }

    [Fact]
    public void The_server_answers_in_the_documented_wire_format()
    {
        var server = Own(new R2P2Server(Network.Bind(), new EchoHandler(), new R2P2ServerOptions { AuthenticationKeys = new R2P2KeyRing(_keyA) }));
        var peer = Peer();
        var secret = Secret(_keyA);
        const ulong CallNonce = 0x0102030405060708;

        peer.Send(server.LocalAddress, AuthenticatedWireReference.SealRequest(secret, KeyA, CallNonce, Wire.Packet(Wire.Request, Wire.OnePacket, 9, 1, "ping"u8)));
        var reply = peer.Receive();

        Assert.True(AuthenticatedWireReference.OpenReply(secret, reply.Bytes, out var keyId, out var callNonce, out var packet), "the reply's tag does not verify under the documented format");
        Assert.Equal(KeyA, keyId);
        Assert.Equal(CallNonce, callNonce);
        Assert.Equal(Wire.Response, packet[2]);
        Assert.Equal(9, (packet[4] << 8) | packet[5]);
        Assert.Equal("ping"u8.ToArray(), packet[8..]);
    }

    [Fact]
    public void Requests_without_a_valid_tag_of_a_known_key_never_reach_the_handler()
    {
        var handler = new EchoHandler();
        var server = Own(new R2P2Server(Network.Bind(), handler, new R2P2ServerOptions { AuthenticationKeys = new R2P2KeyRing(_keyA) }));
        var peer = Peer();
        var secret = Secret(_keyA);
        var wrongSecret = RandomNumberGenerator.GetBytes(32);
        byte[] Plain(ushort rid) => Wire.Packet(Wire.Request, Wire.OnePacket, rid, 1, "run me"u8);

        var flippedPayload = AuthenticatedWireReference.SealRequest(secret, KeyA, 1, Plain(4));
        flippedPayload[9] ^= 1;
        var changedRid = AuthenticatedWireReference.SealRequest(secret, KeyA, 2, Plain(5));
        changedRid[5] ^= 0x40;
        var truncated = AuthenticatedWireReference.SealRequest(secret, KeyA, 3, Plain(6))[..^1];
        var attacks = new[]
        {
            Plain(1), // the default mode's request
            AuthenticatedWireReference.SealRequest(wrongSecret, 99, 1, Plain(2)), // a key the ring does not hold
            AuthenticatedWireReference.SealRequest(wrongSecret, KeyA, 1, Plain(3)), // the right id, a guessed secret
            flippedPayload,
            changedRid,
            truncated,
        };
        foreach (var attack in attacks)
        {
            peer.Send(server.LocalAddress, attack);
        }

        peer.Send(server.LocalAddress, AuthenticatedWireReference.SealRequest(secret, KeyA, AuthenticatedWireReference.CallNonceNow(), Plain(100)));
        var reply = peer.Receive();
        Assert.Equal(100, reply.RequestId); // nothing answered the attacks, and the loop went on
        Assert.False(peer.TryReceive(Quiet, out _));
        Assert.Equal(1, handler.Calls);
        Assert.Equal(attacks.Length, server.Statistics.UnauthenticatedDatagrams);
    }

    [Fact]
    public void Another_key_holder_cannot_inject_packets_into_a_request_being_reassembled()
    {
        var server = Own(new R2P2Server(Network.Bind(), new EchoHandler(), new R2P2ServerOptions { AuthenticationKeys = new R2P2KeyRing(_keyA, _keyB) }));
        var peer = Peer(); // one socket plays both: the attacker spoofs the victim's address
        var secretA = Secret(_keyA);
        var payload = Payloads.Make(4000, tag: 5);
        var packets = Split(payload, rid: 77);
        var callNonce = AuthenticatedWireReference.CallNonceNow();

        peer.Send(server.LocalAddress, AuthenticatedWireReference.SealRequest(secretA, KeyA, callNonce, packets[0]));
        var ack = peer.Receive();
        Assert.True(AuthenticatedWireReference.OpenReply(secretA, ack.Bytes, out _, out var ackNonce, out var ackPacket), "the ACK is not sealed for the call");
        Assert.Equal(3, ackPacket[2] >> 4); // ACK
        Assert.Equal(callNonce, ackNonce);

        var bogus = (byte[])packets[1].Clone();
        bogus.AsSpan(8).Fill(0xEE);
        peer.Send(server.LocalAddress, AuthenticatedWireReference.SealRequest(Secret(_keyB), KeyB, callNonce, bogus)); // another client's key
        peer.Send(server.LocalAddress, AuthenticatedWireReference.SealRequest(secretA, KeyA, callNonce + 1, bogus)); // the key, another call
        foreach (var packet in packets.Skip(1))
        {
            peer.Send(server.LocalAddress, AuthenticatedWireReference.SealRequest(secretA, KeyA, callNonce, packet));
        }

        var reply = new List<byte>();
        for (var i = 0; i < packets.Length; i++)
        {
            var datagram = peer.Receive();
            Assert.True(AuthenticatedWireReference.OpenReply(secretA, datagram.Bytes, out _, out var nonce, out var packet));
            Assert.Equal(callNonce, nonce);
            reply.AddRange(packet[8..]);
            if ((packet[3] & Wire.Last) != 0)
            {
                break;
            }
        }

        Assert.Equal(payload, reply.ToArray());
        Assert.Equal(2, server.Statistics.UnauthenticatedDatagrams);
    }

    [Fact]
    public async Task The_client_takes_only_replies_tagged_for_its_own_call()
    {
        var server = Peer(); // the attacker can send from the server's address (on path, or spoofing)
        var client = Client(server.Address, _keyA);
        var secret = Secret(_keyA);

        var call = client.CallAsync("pay 10"u8.ToArray()).AsTask();
        var request = server.Receive();
        Assert.True(AuthenticatedWireReference.OpenRequest(secret, request.Bytes, out var keyId, out var callNonce, out var plain), "the request is not sealed in the documented format");
        Assert.Equal(KeyA, keyId);
        Assert.Equal("pay 10"u8.ToArray(), plain[8..]);
        var rid = request.RequestId;

        byte[] Response(string text) => Wire.Packet(Wire.Response, Wire.OnePacket, rid, 1, System.Text.Encoding.ASCII.GetBytes(text));
        var tampered = AuthenticatedWireReference.SealReply(secret, KeyA, callNonce, 1, Response("paid 10"));
        tampered[8] ^= 1;
        var forgeries = new[]
        {
            Response("forged"), // the default mode's response
            AuthenticatedWireReference.SealReply(RandomNumberGenerator.GetBytes(32), KeyA, callNonce, 2, Response("forged")), // a guessed key
            AuthenticatedWireReference.SealReply(secret, KeyA, callNonce + 1, 3, Response("replayed")), // a genuine answer to another call with this rid
            AuthenticatedWireReference.SealReply(Secret(_keyB), KeyB, callNonce, 4, Response("other key")),
            tampered,
            Wire.Packet(0x41, Wire.OnePacket, rid, 1, "DROP"u8), // an unsealed DROP
        };
        foreach (var forgery in forgeries)
        {
            server.Send(request.Source, forgery);
        }

        await Task.Delay(150);
        Assert.False(call.IsCompleted, "a reply not tagged for the call completed it");

        server.Send(request.Source, AuthenticatedWireReference.SealReply(secret, KeyA, callNonce, 5, Response("paid 10")));
        using var response = await call.WaitAsync(Payloads.Generous);
        Assert.Equal("paid 10"u8.ToArray(), Payloads.ToArray(response.Payload));
        Assert.Equal(forgeries.Length, client.Statistics.ForgedDatagrams);
    }

    [Fact]
    public async Task Genuine_replies_replayed_within_their_call_are_dropped_and_the_call_completes()
    {
        var server = Peer(); // on path: it records the genuine replies of this call and sends them again
        var client = Client(server.Address, _keyA);
        var secret = Secret(_keyA);

        var call = client.CallAsync("transfer"u8.ToArray()).AsTask();
        var request = server.Receive();
        Assert.True(AuthenticatedWireReference.OpenRequest(secret, request.Bytes, out _, out var callNonce, out _));
        var rid = request.RequestId;
        var first = AuthenticatedWireReference.SealReply(secret, KeyA, callNonce, 40, Wire.Packet(Wire.Response, Wire.First, rid, 3, "one "u8));
        var second = AuthenticatedWireReference.SealReply(secret, KeyA, callNonce, 41, Wire.Packet(Wire.Response, 0, rid, 1, "two "u8));
        var last = AuthenticatedWireReference.SealReply(secret, KeyA, callNonce, 42, Wire.Packet(Wire.Response, Wire.Last, rid, 2, "three"u8));

        server.Send(request.Source, first);
        server.Send(request.Source, first); // a replayed FIRST used to fail the call as malformed
        server.Send(request.Source, second);
        server.Send(request.Source, second);
        server.Send(request.Source, first);
        await Task.Delay(150);
        Assert.False(call.IsCompleted, $"a replay ended the call: {call.Exception?.InnerException?.Message}");

        server.Send(request.Source, last);
        using var response = await call.WaitAsync(Payloads.Generous);
        Assert.Equal("one two three"u8.ToArray(), Payloads.ToArray(response.Payload));
        Assert.Equal(3, client.Statistics.ForgedDatagrams);
    }

    [Fact]
    public async Task A_deferred_answer_is_sealed_for_its_call()
    {
        var handles = new BlockingCollection<R2P2ResponseHandle>();
        // A generous ResponseTimeout: with the default (1 s) a busy machine could expire the slot before the thread pool ran
        // the answer (a CI run under load saw TrySend refused after 3 s).
        var options = new R2P2ServerOptions { AuthenticationKeys = new R2P2KeyRing(_keyA), ResponseTimeout = Payloads.Generous };
        var server = Own(new R2P2Server(Network.Bind(), new DeferringHandler(handles), options));
        var client = Client(server.LocalAddress, _keyA, Payloads.Generous);

        var call = client.CallAsync("later"u8.ToArray()).AsTask();
        Assert.True(handles.TryTake(out var handle, Payloads.Generous));
        await Task.Run(() => Assert.True(handle.TrySend("answered"u8)));
        using var response = await call.WaitAsync(Payloads.Generous);
        Assert.Equal("answered"u8.ToArray(), Payloads.ToArray(response.Payload));
    }

    [Fact]
    public async Task A_key_removed_from_the_ring_stops_working()
    {
        var ring = new R2P2KeyRing(_keyA);
        var server = Own(new R2P2Server(Network.Bind(), new EchoHandler(), new R2P2ServerOptions { AuthenticationKeys = ring }));
        var client = Client(server.LocalAddress, _keyA, TimeSpan.FromMilliseconds(300));

        using (await client.CallAsync("before"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous))
        {
        }

        Assert.True(ring.Remove(KeyA));
        await Assert.ThrowsAsync<R2P2TimeoutException>(() => client.CallAsync("after"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous));
        Assert.Equal(1, server.Statistics.UnauthenticatedDatagrams);
    }

    [Fact]
    public void A_key_authenticates_one_client_at_a_time()
    {
        var destination = Own(Network.Bind()).LocalAddress;
        var first = new R2P2Client(Network.Bind(), destination, new R2P2ClientOptions { AuthenticationKey = _keyA });
        var error = Assert.Throws<ArgumentException>(() => new R2P2Client(Network.Bind(), destination, new R2P2ClientOptions { AuthenticationKey = _keyA }));
        Assert.Contains("already authenticates another client", error.Message);
        first.Dispose();
        Own(new R2P2Client(Network.Bind(), destination, new R2P2ClientOptions { AuthenticationKey = _keyA }));
    }

    [Fact]
    public void Keys_are_16_or_32_bytes_and_ring_ids_are_distinct()
    {
        Assert.Throws<ArgumentException>(() => new R2P2Key(1, new byte[24]));
        Assert.Throws<ArgumentException>(() => new R2P2Key(1, ReadOnlySpan<byte>.Empty));
        Assert.Throws<ArgumentException>(() => new R2P2KeyRing(_keyA, R2P2Key.Generate(KeyA)));
        Assert.False(new R2P2KeyRing(_keyA).TryAdd(_keyA));
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>A request split as an authenticated client splits it: 14 bytes in the FIRST packet, then a payload size less the trailer.</summary>
    private static byte[][] Split(byte[] payload, ushort rid)
    {
        var count = 1 + ((payload.Length - 14 + RequestChunk - 1) / RequestChunk);
        var packets = new byte[count][];
        packets[0] = Wire.Packet(Wire.Request, Wire.First, rid, (ushort)count, payload.AsSpan(0, 14));
        for (var i = 1; i < count; i++)
        {
            var offset = 14 + ((i - 1) * RequestChunk);
            packets[i] = Wire.Packet(Wire.Request, i == count - 1 ? Wire.Last : (byte)0, rid, (ushort)i, payload.AsSpan(offset, Math.Min(RequestChunk, payload.Length - offset)));
        }

        return packets;
    }

    private static byte[] Secret(R2P2Key key)
    {
        var secret = new byte[key.Length];
        key.ExportSecret(secret);
        return secret;
    }

    private RawPeer Peer() => Own(new RawPeer(Network.Bind()));

    private R2P2Client Client(PacketAddress destination, R2P2Key key, TimeSpan? timeout = null)
        => Own(new R2P2Client(Network.Bind(), destination, new R2P2ClientOptions { AuthenticationKey = key, Timeout = timeout ?? TimeSpan.FromSeconds(5) }));

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    private sealed class KeyRecordingHandler : IR2P2Handler
    {
        public ConcurrentQueue<uint?> KeyIds { get; } = new();

        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            KeyIds.Enqueue(request.KeyId);
            foreach (var segment in request.Payload)
            {
                response.Write(segment.Span);
            }
        }
    }

    private sealed class DeferringHandler(BlockingCollection<R2P2ResponseHandle> handles) : IR2P2Handler
    {
        public void Handle(in R2P2Request request, IBufferWriter<byte> response) => handles.Add(request.Defer());
    }
}

public sealed class InMemoryAuthenticatedModeTests() : AuthenticatedModeTests(new InMemoryTestNetwork());

public sealed class UdpAuthenticatedModeTests() : AuthenticatedModeTests(new UdpTestNetwork());
