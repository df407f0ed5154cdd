using System;
using System.Buffers;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;
using TailGuard.Tests.R2P2.Infrastructure;
using static TailGuard.Tests.R2P2.Infrastructure.Condition;

namespace TailGuard.Tests.R2P2.Routing;

/// <summary>
/// The paper's server model (R2P2Workers): k single-request workers, each its own socket on consecutive ports, each
/// sending its own FEEDBACK, so a router sees k queues.
/// </summary>
public sealed class WorkerServerTests
{
    [Fact]
    public void Workers_listen_on_consecutive_ports_and_each_sends_feedback_from_its_own_port()
    {
        using var router = new RawPeer(UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
        using var server = R2P2Workers.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), 4, new EchoHandler(), new R2P2ServerOptions { RouterAddress = router.Address });
        var workers = server.LocalAddresses;

        Assert.Equal(4, workers.Count);
        Assert.Equal(Enumerable.Range(workers[0].Port, 4).Select(p => (int)p), workers.Select(w => (int)w.Port));
        Assert.All(workers, w => Assert.Equal(server.LocalAddress.WithPort(w.Port), w));

        using var client = new RawPeer(UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
        for (var i = 0; i < workers.Count; i++)
        {
            client.Send(workers[i], Wire.Packet(Wire.Request, Wire.OnePacket, (ushort)(i + 1), 1, "x"u8));
            var response = client.Receive();
            Assert.Equal(workers[i], response.Source);
            var feedback = router.Receive();
            Assert.Equal(workers[i], feedback.Source); // the router tells the workers apart by this
            Assert.Equal(RouterWire.Feedback((ushort)(i + 1), client.Address), feedback.Bytes);
        }
    }

    [Fact]
    public async Task Each_worker_serves_one_request_at_a_time_so_a_jbsq1_router_queues_the_rest()
    {
        if (!RawSocketForwarder.IsAvailable(out var reason))
        {
            // Not skippable through the attribute (the class also tests without a router): say why and stop.
            Console.WriteLine($"SKIPPED: {reason}");
            return;
        }

        using var gate = new ManualResetEventSlim();
        var handler = new CountingGate(gate);
        var (data, feedback) = (UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)), UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
        using var server = R2P2Workers.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), 3, handler, new R2P2ServerOptions { RouterAddress = feedback.LocalAddress });
        using var router = new R2P2Router(data, feedback, RawSocketForwarder.Open(), new R2P2RouterOptions { Servers = server.LocalAddresses, Policy = RouterPolicy.BoundedShortestQueue(1) });
        using var client = R2P2Client.CreateUdp(router.LocalAddress.ToEndPoint(), new R2P2ClientOptions { Timeout = Payloads.Generous, ResponseSources = ResponseSources.AnyServer });
        try
        {
            var calls = Enumerable.Range(0, 7).Select(i => client.CallAsync(Payloads.Make(8, i)).AsTask()).ToArray();
            await Eventually(() => handler.Running == 3 && router.QueueLength == 4, "3 workers busy and 4 requests queued");
            Assert.Equal(3, handler.Threads.Count);

            gate.Set();
            foreach (var call in calls)
            {
                (await call.WaitAsync(Payloads.Generous)).Dispose();
            }

            Assert.Equal(3, handler.MostAtOnce);
            Assert.All(router.Servers, s => Assert.True(s.Forwarded >= 1));
        }
        finally
        {
            gate.Set();
        }
    }

    [Fact]
    public void A_taken_port_in_the_run_is_named_and_nothing_stays_bound()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;

        var error = Assert.Throws<SocketException>(() => R2P2Workers.CreateUdp(new IPEndPoint(IPAddress.Loopback, port - 2), 4, new EchoHandler()));

        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("Worker 3 of 4", error.Message, StringComparison.Ordinal);
        using var again = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        again.Bind(new IPEndPoint(IPAddress.Loopback, port - 2)); // released
    }

    /// <summary>Waits at the gate, counting how many run at once and on which threads.</summary>
    private sealed class CountingGate(ManualResetEventSlim gate) : IR2P2Handler
    {
        private int _running;
        private int _most;

        public int Running => Volatile.Read(ref _running);

        public int MostAtOnce => Volatile.Read(ref _most);

        public System.Collections.Concurrent.ConcurrentDictionary<int, bool> Threads { get; } = new();

        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            Threads.TryAdd(Environment.CurrentManagedThreadId, true);
            var now = Interlocked.Increment(ref _running);
            int most;
            while (now > (most = Volatile.Read(ref _most)) && Interlocked.CompareExchange(ref _most, now, most) != most)
            {
            }

            gate.Wait(Payloads.Generous);
            Interlocked.Decrement(ref _running);
            response.Write(request.Payload.FirstSpan);
        }
    }
}
