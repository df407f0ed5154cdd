using System;
using System.Buffers;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.R2P2.Security;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Security;

/// <summary>
/// The authenticated mode's replay checks on the client (docs/security.md, "Authenticated mode"), played on the client
/// protocol with an on-path attacker who records genuine replies: a reply names its call's nonce, so one recorded from
/// an earlier call never completes a later call with the same rid; and a call takes only replies whose server nonce is
/// after the last one it took, so a reply replayed within its own call is dropped without ending the call.
/// </summary>
public sealed class ReplayTests : IDisposable
{
    private const uint KeyId = 11;
    private static readonly PacketAddress Server = PacketAddress.Parse("10.0.0.1:9000");
    private readonly TrackingBufferOwner _memory = new();
    private readonly R2P2Key _key = R2P2Key.Generate(KeyId);
    private readonly ClientAuthenticator _authenticator;
    private readonly byte[] _secret;
    private ulong _serverNonce = 1000;

    public ReplayTests()
    {
        _authenticator = new ClientAuthenticator(_key);
        _secret = new byte[_key.Length];
        _key.ExportSecret(_secret);
    }

    [Fact]
    public void Replayed_ack_and_response_packets_of_a_call_are_refused_and_the_call_completes()
    {
        var protocol = Protocol();
        var call = Start(protocol, new byte[3000], out var callNonce); // three request packets: an ACK comes first
        var rid = call.RequestId;
        var ack = Seal(callNonce, Wire.Packet(0x31, Wire.OnePacket, rid, 1, "ACK"u8)); // type 3, policy FIXED
        var first = Seal(callNonce, Wire.Packet(Wire.Response, Wire.First, rid, 2, "left "u8));
        var last = Seal(callNonce, Wire.Packet(Wire.Response, Wire.Last, rid, 1, "right"u8));

        Assert.Equal(ClientCallEvent.SendContinuations, Receive(protocol, ack));
        foreach (var continuation in call.TakeContinuations())
        {
            continuation.Return();
        }

        Assert.Equal(ClientCallEvent.Forged, Receive(protocol, ack));
        Assert.Equal(ClientCallEvent.ResponsePacketStored, Receive(protocol, first));
        Assert.Equal(ClientCallEvent.Forged, Receive(protocol, first)); // was: the call failed as malformed
        Assert.Equal(ClientCallEvent.Forged, Receive(protocol, ack));
        Assert.Equal(CallState.ReceivingResponse, call.State);

        Assert.Equal(ClientCallEvent.Completed, Receive(protocol, last));
        Assert.Equal("left right"u8.ToArray(), call.ResponsePayload().ToArray());
        call.Reset();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void A_response_recorded_from_an_earlier_call_never_completes_a_later_call_with_the_same_rid()
    {
        var protocol = Protocol();
        var earlier = Start(protocol, "pay 10"u8.ToArray(), out var earlierNonce);
        var rid = earlier.RequestId;
        var recorded = Seal(earlierNonce, Wire.Packet(Wire.Response, Wire.OnePacket, rid, 1, "paid 10"u8));
        Assert.Equal(ClientCallEvent.Completed, Receive(protocol, recorded));
        earlier.Reset();

        // Calls until the rid comes round again (rids permute 16 bits, so within 65536 calls), each answered genuinely.
        var call = new ClientCall();
        var rounds = 0;
        while (true)
        {
            Build(call, "pay 10"u8.ToArray());
            Assert.True(protocol.TryStart(call, deadline: 100, out var packet));
            var callNonce = OpenRequest(packet!);
            if (call.RequestId == rid)
            {
                Assert.Equal(ClientCallEvent.Forged, Receive(protocol, recorded));
                Assert.NotEqual(CallState.Ended, call.State);
                Assert.Equal(ClientCallEvent.Completed, Receive(protocol, Seal(callNonce, Wire.Packet(Wire.Response, Wire.OnePacket, rid, 1, "paid again"u8))));
                Assert.Equal("paid again"u8.ToArray(), call.ResponsePayload().ToArray());
                call.Reset();
                break;
            }

            Assert.Equal(ClientCallEvent.Completed, Receive(protocol, Seal(callNonce, Wire.Packet(Wire.Response, Wire.OnePacket, call.RequestId, 1, "ok"u8))));
            call.Reset();
            Assert.True(++rounds <= ushort.MaxValue + 1, "the rid never came round");
        }

        Assert.Equal(0, _memory.Outstanding);
    }

    public void Dispose()
    {
        _authenticator.Dispose();
        _key.Dispose();
    }

    private ClientProtocol Protocol() => new(maxInFlight: 1, maxResponsePackets: 8) { Authenticator = _authenticator };

    /// <summary>A genuine reply: sealed with the client's key for the call, with the server's next nonce.</summary>
    private byte[] Seal(ulong callNonce, byte[] packet) => AuthenticatedWireReference.SealReply(_secret, KeyId, callNonce, ++_serverNonce, packet);

    private ClientCallEvent Receive(ClientProtocol protocol, byte[] datagram)
    {
        var packet = _memory.Datagram(datagram, Server);
        var outcome = protocol.Receive(packet, out _);
        if (outcome is not (ClientCallEvent.ResponsePacketStored or ClientCallEvent.Completed))
        {
            packet.Return(); // the call keeps the buffer only for those two
        }

        return outcome;
    }

    private ClientCall Start(ClientProtocol protocol, byte[] payload, out ulong callNonce)
    {
        var call = new ClientCall();
        Build(call, payload);
        Assert.True(protocol.TryStart(call, deadline: 100, out var first));
        callNonce = OpenRequest(first!);
        return call;
    }

    /// <summary>Reads the call nonce off a sealed first packet, as the server would (checking its tag), and gives the buffer back.</summary>
    private ulong OpenRequest(PacketBuffer first)
    {
        Assert.True(AuthenticatedWireReference.OpenRequest(_secret, first.Span.ToArray(), out var keyId, out var callNonce, out _));
        Assert.Equal(KeyId, keyId);
        first.Return();
        return callNonce;
    }

    private void Build(ClientCall call, byte[] payload)
    {
        var writer = new MessageWriter(_memory, 1464 - AuthenticatedWireReference.RequestTrailer, 1 << 20, AuthenticatedWireReference.RequestTrailer);
        writer.Start();
        BuffersExtensions.Write(writer, payload);
        call.BuildRequest(writer, RoutingPolicy.LoadBalanced, Server);
    }
}
