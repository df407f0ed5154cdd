using System;
using System.Buffers;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2;

/// <summary>Server behaviours beyond the wire cases: several receive loops, admission release, failing handlers, views.</summary>
public sealed class ServerBehaviourTests
{
    [Fact]
    public async Task Several_reuseport_receive_loops_serve_many_clients_on_one_port()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // SO_REUSEPORT groups are Linux-only; the constructor says so on other systems.
        }

        using var server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), new EchoHandler(), receiveLoops: 3);
        var clients = Enumerable.Range(0, 6).Select(_ => R2P2Client.CreateUdp(server.LocalAddress.ToEndPoint(), new R2P2ClientOptions { Timeout = Payloads.Generous })).ToArray();
        try
        {
            // Each client calls one at a time: a burst of hundreds could overflow a socket buffer, and UDP loss is not
            // what this test is about.
            var calls = clients.Select((client, c) => Task.Run(async () =>
            {
                for (var i = 0; i < 50; i++)
                {
                    var payload = Payloads.Make(i % 2 == 0 ? 100 : 3000, tag: (c * 100) + i);
                    using var response = await client.CallAsync(payload);
                    Assert.Equal(payload, Payloads.ToArray(response.Payload));
                }
            }));
            await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(300, server.Statistics.Responses);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task Admission_is_released_after_each_request_so_a_limit_of_one_serves_calls_in_turn()
    {
        var network = new InMemoryNetwork();
        var admission = new MaxInFlightAdmissionPolicy(1);
        using var server = new R2P2Server(network.Bind("10.0.0.1:1"), new EchoHandler(), new R2P2ServerOptions { AdmissionPolicy = admission });
        using var client = new R2P2Client(network.Bind("10.0.0.2:0"), server.LocalAddress);

        for (var i = 0; i < 20; i++)
        {
            using var response = await client.CallAsync(Payloads.Make(i % 2 == 0 ? 10 : 4000)).AsTask().WaitAsync(Payloads.Generous);
        }

        Assert.Equal(0, admission.InFlight);
        Assert.Equal(0, server.Statistics.Drops);
    }

    [Fact]
    public async Task A_handler_that_throws_sends_nothing_is_reported_and_the_server_keeps_serving()
    {
        var network = new InMemoryNetwork();
        var handler = new ThrowingOnceHandler();
        using var server = new R2P2Server(network.Bind("10.0.0.1:1"), handler);
        Exception? reported = null;
        server.HandlerFailed += (_, error) => reported = error;
        using var client = new R2P2Client(network.Bind("10.0.0.2:0"), server.LocalAddress, new R2P2ClientOptions { Timeout = TimeSpan.FromMilliseconds(200) });

        await Assert.ThrowsAsync<R2P2TimeoutException>(() => client.CallAsync("boom"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous));
        // Its own long timer: the client's 200 ms is for the call that must time out, and a loaded machine can take
        // longer than that to answer this one.
        using var response = await client.CallAsync("fine"u8.ToArray(), RoutingPolicy.LoadBalanced, Payloads.Generous).AsTask().WaitAsync(Payloads.Generous);

        Assert.IsType<InvalidOperationException>(reported);
        Assert.Equal(1, server.Statistics.HandlerFailures);
        Assert.Equal("fine"u8.ToArray(), Payloads.ToArray(response.Payload));
    }

    [Fact]
    public async Task A_multi_packet_request_reaches_the_handler_as_one_contiguous_segment()
    {
        var network = new InMemoryNetwork();
        var handler = new SegmentCountingHandler();
        using var server = new R2P2Server(network.Bind("10.0.0.1:1"), handler);
        using var client = new R2P2Client(network.Bind("10.0.0.2:0"), server.LocalAddress);

        using var response = await client.CallAsync(Payloads.Make(10_000)).AsTask().WaitAsync(Payloads.Generous);

        Assert.True(handler.SawSingleSegment);
        Assert.Equal(10_000, response.Payload.Length);
    }

    private sealed class ThrowingOnceHandler : IR2P2Handler
    {
        private int _calls;

        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            if (_calls++ == 0)
            {
                response.Write("partial"u8);
                throw new InvalidOperationException("handler bug");
            }

            response.Write(request.Payload.FirstSpan);
        }
    }

    private sealed class SegmentCountingHandler : IR2P2Handler
    {
        public bool SawSingleSegment { get; private set; }

        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            SawSingleSegment = request.Payload.IsSingleSegment;
            response.Write(request.Payload.FirstSpan);
        }
    }
}
