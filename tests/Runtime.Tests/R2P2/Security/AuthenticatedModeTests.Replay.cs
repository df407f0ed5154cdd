using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Security;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Security;

/// <summary>
/// Replayed requests (docs/security.md, "Replayed requests"), written as an on-path attacker who recorded a client's
/// genuine, tagged request and sends it again from the client's address: the handler runs once, whatever is replayed
/// (the whole request, its FIRST packet, or the request after the server restarted), while the client's own calls and
/// retries go on. Each of these ran the handler again (or ACKed) before the server kept a replay window per key.
/// </summary>
public abstract partial class AuthenticatedModeTests
{
    [Fact]
    public void A_request_replayed_whole_does_not_run_its_handler_again()
    {
        var handler = new EchoHandler();
        var server = Own(new R2P2Server(Network.Bind(), handler, new R2P2ServerOptions { AuthenticationKeys = new R2P2KeyRing(_keyA) }));
        var peer = Peer();
        var secret = Secret(_keyA);
        var nonce = AuthenticatedWireReference.CallNonceNow();

        var single = AuthenticatedWireReference.SealRequest(secret, KeyA, nonce, Wire.Packet(Wire.Request, Wire.OnePacket, 21, 1, "credit 10"u8));
        peer.Send(server.LocalAddress, single);
        Assert.Equal(21, peer.Receive().RequestId);

        var payload = Payloads.Make(4000, tag: 9);
        var multi = SealAll(secret, nonce + 1, Split(payload, rid: 22));
        SendAll(peer, server.LocalAddress, multi);
        Assert.Equal(payload, ReceiveResponse(peer, secret, nonce + 1));
        Assert.Equal(2, handler.Calls);

        peer.Send(server.LocalAddress, single);
        peer.Send(server.LocalAddress, single);
        SendAll(peer, server.LocalAddress, multi);

        Assert.False(peer.TryReceive(Quiet, out _), "a replayed request was answered");
        Assert.Equal(2, handler.Calls);
        Assert.Equal(3, server.Statistics.ReplayedDatagrams); // two single packets and one FIRST; the rest have no request
        Assert.Equal(0, server.Statistics.UnauthenticatedDatagrams);
    }

    [Fact]
    public void A_replayed_first_packet_gets_no_ack_and_begins_no_reassembly()
    {
        var handler = new EchoHandler();
        var server = Own(new R2P2Server(Network.Bind(), handler, new R2P2ServerOptions { AuthenticationKeys = new R2P2KeyRing(_keyA) }));
        var peer = Peer();
        var secret = Secret(_keyA);
        var nonce = AuthenticatedWireReference.CallNonceNow();
        var payload = Payloads.Make(4000, tag: 4);
        var packets = SealAll(secret, nonce, Split(payload, rid: 40));

        SendAll(peer, server.LocalAddress, packets);
        Assert.Equal(payload, ReceiveResponse(peer, secret, nonce));

        // The FIRST alone: before, each drew an ACK and held a reassembly (and its bytes) until the reassembly timeout.
        peer.Send(server.LocalAddress, packets[0]);
        peer.Send(server.LocalAddress, packets[0]);
        Assert.False(peer.TryReceive(Quiet, out _), "a replayed FIRST packet was acknowledged");
        Assert.Equal(1, handler.Calls);
        Assert.Equal(2, server.Statistics.ReplayedDatagrams);
    }

    [Fact]
    public async Task A_request_recorded_before_a_restart_is_refused_after_it_unless_it_is_within_the_clock_skew()
    {
        var secret = Secret(_keyA);
        var peer = Peer();
        var recorded = AuthenticatedWireReference.SealRequest(secret, KeyA, AuthenticatedWireReference.CallNonceNow(), Wire.Packet(Wire.Request, Wire.OnePacket, 31, 1, "credit 10"u8));
        using (var before = new R2P2Server(Network.Bind(), new EchoHandler(), new R2P2ServerOptions { AuthenticationKeys = new R2P2KeyRing(_keyA) }))
        {
            peer.Send(before.LocalAddress, recorded);
            Assert.Equal(31, peer.Receive().RequestId);
        }

        await Task.Delay(50); // a restart takes time; the recorded call is older than the new server

        var handler = new EchoHandler();
        var restarted = Own(new R2P2Server(Network.Bind(), handler, new R2P2ServerOptions { AuthenticationKeys = new R2P2KeyRing(_keyA), MaxClockSkew = TimeSpan.FromMilliseconds(10) }));
        peer.Send(restarted.LocalAddress, recorded);
        Assert.False(peer.TryReceive(Quiet, out _), "a request recorded before the restart ran again");
        Assert.Equal(0, handler.Calls);
        Assert.Equal(1, restarted.Statistics.ReplayedDatagrams);

        // The client goes on after the restart: its nonces are its clock's time, later than the server's start.
        var client = Client(restarted.LocalAddress, _keyA);
        using (await client.CallAsync("after the restart"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous))
        {
        }

        Assert.Equal(1, handler.Calls);

        // What a restart forgets (documented): a request from the last MaxClockSkew before the start runs once more.
        var forgetful = Own(new R2P2Server(Network.Bind(), handler, new R2P2ServerOptions { AuthenticationKeys = new R2P2KeyRing(_keyA), MaxClockSkew = TimeSpan.FromMinutes(5) }));
        peer.Send(forgetful.LocalAddress, recorded);
        Assert.Equal(31, peer.Receive().RequestId);
        peer.Send(forgetful.LocalAddress, recorded);
        Assert.False(peer.TryReceive(Quiet, out _));
        Assert.Equal(2, handler.Calls);
        Assert.Equal(1, forgetful.Statistics.ReplayedDatagrams);
    }

    [Fact]
    public async Task A_retry_after_a_timeout_is_a_new_call_and_runs()
    {
        var handles = new BlockingCollection<R2P2ResponseHandle>();
        // The retry and the deferred answer get generous timeouts: on a busy machine the thread pool can run the answer
        // later than 300 ms (the first call's timeout) or 1 s (the default ResponseTimeout).
        var options = new R2P2ServerOptions { AuthenticationKeys = new R2P2KeyRing(_keyA), ResponseTimeout = Payloads.Generous };
        var server = Own(new R2P2Server(Network.Bind(), new DeferringHandler(handles), options));
        var client = Client(server.LocalAddress, _keyA, TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAsync<R2P2TimeoutException>(() => client.CallAsync("credit 10"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous));
        Assert.True(handles.TryTake(out _, Payloads.Generous), "the first attempt did not reach the handler");

        var retry = client.CallAsync("credit 10"u8.ToArray(), RoutingPolicy.LoadBalanced, Payloads.Generous).AsTask();
        Assert.True(handles.TryTake(out var handle, Payloads.Generous), "the retry was refused");
        await Task.Run(() => Assert.True(handle.TrySend("done"u8)));
        using var response = await retry.WaitAsync(Payloads.Generous);
        Assert.Equal("done"u8.ToArray(), Payloads.ToArray(response.Payload));
        Assert.Equal(0, server.Statistics.ReplayedDatagrams);
    }

    [Fact]
    public async Task Concurrent_calls_of_one_client_are_all_served()
    {
        var handler = new EchoHandler();
        var server = Own(new R2P2Server(Network.Bind(), handler, new R2P2ServerOptions { AuthenticationKeys = new R2P2KeyRing(_keyA), ReplayWindow = 16 }));
        var client = Client(server.LocalAddress, _keyA);

        for (var round = 0; round < 5; round++)
        {
            var calls = Enumerable.Range(0, 64).Select(i => client.CallAsync(Payloads.Make(i < 8 ? 3000 : 64, tag: (byte)i)).AsTask()).ToArray();
            foreach (var response in await Task.WhenAll(calls).WaitAsync(Payloads.Generous))
            {
                response.Dispose();
            }
        }

        Assert.Equal(320, handler.Calls);
        Assert.Equal(0, server.Statistics.ReplayedDatagrams);
    }

    [Fact]
    public void The_replay_window_and_clock_skew_have_bounds()
    {
        R2P2ServerOptions Options(int window, TimeSpan skew) => new() { AuthenticationKeys = new R2P2KeyRing(_keyA), ReplayWindow = window, MaxClockSkew = skew };
        Assert.Throws<ArgumentException>(() => Own(new R2P2Server(Network.Bind(), new EchoHandler(), Options(15, TimeSpan.Zero))));
        Assert.Throws<ArgumentException>(() => Own(new R2P2Server(Network.Bind(), new EchoHandler(), Options(R2P2Limits.MaxReplayWindow + 1, TimeSpan.Zero))));
        Assert.Throws<ArgumentException>(() => Own(new R2P2Server(Network.Bind(), new EchoHandler(), Options(64, TimeSpan.FromTicks(-1)))));
        Assert.Throws<ArgumentException>(() => Own(new R2P2Server(Network.Bind(), new EchoHandler(), Options(64, R2P2Limits.MaxClockSkew + TimeSpan.FromTicks(1)))));
        Own(new R2P2Server(Network.Bind(), new EchoHandler(), Options(R2P2Limits.MaxReplayWindow, R2P2Limits.MaxClockSkew)));
    }

    private static byte[][] SealAll(byte[] secret, ulong callNonce, byte[][] packets)
        => packets.Select(packet => AuthenticatedWireReference.SealRequest(secret, KeyA, callNonce, packet)).ToArray();

    private static void SendAll(RawPeer peer, PacketAddress destination, byte[][] datagrams)
    {
        foreach (var datagram in datagrams)
        {
            peer.Send(destination, datagram);
        }
    }

    /// <summary>Receives a call's ACK (if any) and response packets up to LAST, each sealed for <paramref name="callNonce"/>; the response payload.</summary>
    private static byte[] ReceiveResponse(RawPeer peer, byte[] secret, ulong callNonce)
    {
        var payload = new List<byte>();
        while (true)
        {
            var datagram = peer.Receive();
            Assert.True(AuthenticatedWireReference.OpenReply(secret, datagram.Bytes, out _, out var nonce, out var packet), "a reply is not sealed for the call");
            Assert.Equal(callNonce, nonce);
            if (packet[2] >> 4 != Wire.Response >> 4)
            {
                continue; // the ACK
            }

            payload.AddRange(packet[8..]);
            if ((packet[3] & Wire.Last) != 0)
            {
                return payload.ToArray();
            }
        }
    }
}
