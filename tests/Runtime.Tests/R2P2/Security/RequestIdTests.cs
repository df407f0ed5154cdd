using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Security;

/// <summary>
/// rids that cannot be guessed or confused: a random start and an unpredictable step per client, and a quarantine that
/// keeps the rid of a call that ended without its response out of use, so a late response never completes another call
/// (docs/security.md, "Request ids").
/// </summary>
public sealed class RequestIdTests
{
    private static readonly PacketAddress Server = PacketAddress.Parse("10.0.0.1:9000");
    private readonly TrackingBufferOwner _memory = new();

    [Fact]
    public void Clients_start_at_unpredictable_rids_and_do_not_count_up()
    {
        var sequences = Enumerable.Range(0, 4).Select(_ => Rids(new ClientProtocol(maxInFlight: 16, maxResponsePackets: 1), 16)).ToArray();

        Assert.True(sequences.Select(s => s[0]).Distinct().Count() > 1, "every client started at the same rid");
        foreach (var rids in sequences)
        {
            var steps = rids.Zip(rids.Skip(1), (a, b) => (ushort)(b - a)).ToArray();
            Assert.True(steps.Distinct().Count() > 1, $"the rids step by a constant {steps[0]}: {string.Join(", ", rids)}");
        }
    }

    [Fact]
    public void A_late_response_after_the_rid_wrapped_around_never_completes_another_call()
    {
        // 65536 calls inside one timeout: 100k calls/s against a 1 s timeout, here without waiting.
        var protocol = new ClientProtocol(maxInFlight: 1, maxResponsePackets: 1);
        var late = Start(protocol, deadline: 10, out var lateFirst);
        lateFirst.Return();
        Assert.Same(late, protocol.TakeExpired(now: 10));
        var lateRid = late.RequestId;
        late.Reset();

        var call = new ClientCall();
        for (var i = 0; i < 70_000; i++)
        {
            Build(call);
            Assert.True(protocol.TryStart(call, deadline: 20, out var first));
            first!.Return();
            Assert.NotEqual(lateRid, call.RequestId);
            var answer = _memory.Datagram(Wire.Packet(Wire.Response, Wire.OnePacket, call.RequestId, 1, "ok"u8), Server);
            Assert.Equal(ClientCallEvent.Completed, protocol.Receive(answer, out _));
            call.Reset();
        }

        // The late response finds no call to complete.
        Build(call);
        Assert.True(protocol.TryStart(call, deadline: 20, out var last));
        last!.Return();
        var stale = _memory.Datagram(Wire.Packet(Wire.Response, Wire.OnePacket, lateRid, 1, "late"u8), Server);
        Assert.NotEqual(ClientCallEvent.Completed, protocol.Receive(stale, out var target));
        Assert.Null(target);
        stale.Return();
        protocol.TryEnd(call);
        call.Reset();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public async Task A_late_response_for_a_timed_out_call_never_completes_the_call_that_reused_its_rid()
    {
        var network = new InMemoryTestNetwork();
        using var server = new RawPeer(network.Bind());
        // The quarantine is a hang guard here, not the default three timeouts (300 ms): on a loaded machine more than that
        // passed between the first call's timeout and the second call's start (seen at load 10-17), the rid had been
        // released as documented, and the late answer completed the second call.
        using var client = new R2P2Client(network.Bind(), server.Address, new R2P2ClientOptions { Timeout = TimeSpan.FromMilliseconds(100), RequestIdQuarantine = Payloads.Generous });

        var timedOut = client.CallAsync("first"u8.ToArray()).AsTask();
        var first = server.Receive();
        await Assert.ThrowsAsync<R2P2TimeoutException>(() => timedOut.WaitAsync(Payloads.Generous));

        // The allocator is pointed straight at the rid that just timed out: wrap-around reaches it the same way.
        client.SetNextRequestId(first.RequestId);
        // Its own long timer: on a loaded machine the client's 100 ms could end this call before its answer is read
        // (seen at load 12-19), and this test is about whose answer it gets, not about time.
        var next = client.CallAsync("second"u8.ToArray(), RoutingPolicy.LoadBalanced, Payloads.Generous).AsTask();
        var second = server.Receive();
        server.Send(first.Source, Wire.Packet(Wire.Response, Wire.OnePacket, first.RequestId, 1, "answer to first"u8));
        server.Send(second.Source, Wire.Packet(Wire.Response, Wire.OnePacket, second.RequestId, 1, "answer to second"u8));

        using var response = await next.WaitAsync(Payloads.Generous);
        Assert.Equal("answer to second", System.Text.Encoding.ASCII.GetString(Payloads.ToArray(response.Payload)));
        Assert.NotEqual(first.RequestId, second.RequestId);
    }

    private ushort[] Rids(ClientProtocol protocol, int count)
    {
        var rids = new List<ushort>();
        for (var i = 0; i < count; i++)
        {
            var call = Start(protocol, deadline: 100, out var first);
            first.Return();
            rids.Add(call.RequestId);
        }

        return [.. rids];
    }

    private ClientCall Start(ClientProtocol protocol, long deadline, out PacketBuffer first)
    {
        var call = new ClientCall();
        Build(call);
        Assert.True(protocol.TryStart(call, deadline, out var packet));
        first = packet!;
        return call;
    }

    private void Build(ClientCall call)
    {
        var writer = new MessageWriter(_memory, 1464, 1 << 20);
        writer.Start();
        System.Buffers.BuffersExtensions.Write(writer, "x"u8);
        call.BuildRequest(writer, TailGuard.R2P2.RoutingPolicy.LoadBalanced, Server);
    }
}
