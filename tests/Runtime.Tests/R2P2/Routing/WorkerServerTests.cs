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
        using var router = new R2P2Router(data, feedback, RawSocketForwarder.Open(), new R2P2RouterOptions { Servers = server.LocalAddresses, Policy = RouterPolicy.BoundedShortestQueue(1), QueueTimeout = RouterRig.Unhurried, FeedbackTimeout = RouterRig.Unhurried }); // the gate holds requests as long as the test takes
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
    public async Task A_response_and_its_feedback_leave_when_the_request_is_done_not_after_the_requests_queued_behind_it()
    {
        // Requests 2 and 3 wait in the worker's socket while it serves 1, so one batched receive would take both; 3 then
        // holds its worker until the test has seen 2's response and FEEDBACK. A worker that sends a batch's responses
        // after the whole batch (as before) holds 2's answer for 3's whole service time: 2 never arrives in time.
        using var router = new RawPeer(UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
        using var client = new RawPeer(UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
        using var handler = new OrderedHandler();
        using var server = R2P2Workers.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), 1, handler, new R2P2ServerOptions { RouterAddress = router.Address, ReceiveMode = ReceiveMode.Blocking });
        var worker = server.LocalAddresses[0];

        client.Send(worker, Wire.Packet(Wire.Request, Wire.OnePacket, 1, 1, "1"u8));
        await Eventually(() => handler.FirstStarted.IsSet, "request 1 in its handler");
        client.Send(worker, Wire.Packet(Wire.Request, Wire.OnePacket, 2, 1, "2"u8));
        client.Send(worker, Wire.Packet(Wire.Request, Wire.OnePacket, 3, 1, "3"u8));
        handler.ReleaseFirst.Set();

        Assert.Equal(1, RidOf(client.Receive()));
        Assert.Equal(RouterWire.Feedback(1, client.Address), router.Receive().Bytes);
        Assert.True(client.TryReceive(TimeSpan.FromSeconds(5), out var second), "request 2's response waited for request 3's service");
        Assert.Equal(2, RidOf(second));
        Assert.True(router.TryReceive(TimeSpan.FromSeconds(5), out var feedback), "request 2's FEEDBACK waited for request 3's service");
        Assert.Equal(RouterWire.Feedback(2, client.Address), feedback.Bytes);
        handler.SecondAnswered.Set();

        Assert.Equal(3, RidOf(client.Receive()));
        Assert.Equal(RouterWire.Feedback(3, client.Address), router.Receive().Bytes);
        Assert.True(handler.ThirdSawSecondAnswered);
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

    private static ushort RidOf(Datagram datagram) => (ushort)((datagram.Bytes[4] << 8) | datagram.Bytes[5]);

    /// <summary>Request "1" waits for <see cref="ReleaseFirst"/>, "2" answers at once, "3" waits for <see cref="SecondAnswered"/> (up to 10 s).</summary>
    private sealed class OrderedHandler : IR2P2Handler, IDisposable
    {
        private volatile bool _thirdSawSecondAnswered;

        public ManualResetEventSlim FirstStarted { get; } = new();

        public ManualResetEventSlim ReleaseFirst { get; } = new();

        public ManualResetEventSlim SecondAnswered { get; } = new();

        public bool ThirdSawSecondAnswered => _thirdSawSecondAnswered;

        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            switch (request.Payload.FirstSpan[0])
            {
                case (byte)'1':
                    FirstStarted.Set();
                    ReleaseFirst.Wait(Payloads.Generous);
                    break;
                case (byte)'3':
                    _thirdSawSecondAnswered = SecondAnswered.Wait(Payloads.Generous);
                    break;
            }

            response.Write(request.Payload.FirstSpan);
        }

        public void Dispose()
        {
            ReleaseFirst.Set();
            SecondAnswered.Set();
            FirstStarted.Dispose();
            ReleaseFirst.Dispose();
            SecondAnswered.Dispose();
        }
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
