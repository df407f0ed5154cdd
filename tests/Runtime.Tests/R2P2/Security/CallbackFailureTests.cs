using System;
using System.Buffers;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;
using static TailGuard.Tests.R2P2.Infrastructure.Condition;

namespace TailGuard.Tests.R2P2.Security;

/// <summary>
/// User code the server calls (handlers, event subscribers, admission policies) may throw anything, including on
/// behalf of a remote client whose requests make it throw. None of it may end a receive loop: each failure is counted
/// and the server keeps serving (docs/security.md, "User callbacks").
/// </summary>
public sealed class CallbackFailureTests : IDisposable
{
    private readonly InMemoryNetwork _network = new(seed: 11);
    private readonly System.Collections.Generic.List<IDisposable> _owned = [];

    private static readonly TimeSpan ShortTimeout = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task A_throwing_handler_failed_subscriber_does_not_stop_the_server()
    {
        var server = Server(new ThrowOn("boom"), null);
        server.HandlerFailed += (_, _) => throw new ObjectDisposedException("subscriber");
        server.HandlerFailed += (_, _) => throw new InvalidOperationException("second subscriber");
        var client = Client(server);

        for (var i = 0; i < 20; i++)
        {
            await Assert.ThrowsAsync<R2P2TimeoutException>(() => CallExpectingTimeout(client, "boom", ShortTimeout).AsTask().WaitAsync(Payloads.Generous));
            await Echoes(client, "still serving");
        }

        Assert.Equal(20, server.Statistics.HandlerFailures);
        Assert.Equal(40, server.Statistics.CallbackFailures); // two subscribers, each throwing once per failure
        Assert.Equal(0, server.Statistics.MalformedDatagrams);
    }

    [Fact]
    public async Task A_throwing_receive_loop_error_subscriber_does_not_stop_the_server()
    {
        var policy = new ThrowingPolicy { ThrowOnAdmit = true };
        var server = Server(new EchoHandler(), policy);
        server.ReceiveLoopError += (_, _) => throw new ObjectDisposedException("subscriber");
        server.HandlerFailed += (_, _) => throw new ObjectDisposedException("subscriber");
        var client = Client(server);

        // A policy that throws while admitting refuses: the client is told DROP (the handler never ran).
        await Assert.ThrowsAsync<R2P2DroppedException>(() => client.CallAsync("x"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous));
        await Assert.ThrowsAsync<R2P2DroppedException>(() => client.CallAsync(Payloads.Make(3000)).AsTask().WaitAsync(Payloads.Generous));
        policy.ThrowOnAdmit = false;
        await Echoes(client, "still serving");
        Assert.Equal(2, server.Statistics.CallbackFailures);
    }

    [Fact]
    public async Task An_admission_policy_that_throws_on_release_does_not_stop_the_server_or_release_twice()
    {
        var policy = new ThrowingPolicy { ThrowOnRelease = true };
        var server = Server(new EchoHandler(), policy);
        server.HandlerFailed += (_, _) => throw new ObjectDisposedException("subscriber");
        var client = Client(server);

        for (var i = 0; i < 10; i++)
        {
            await Echoes(client, "released");
        }

        Assert.Equal(10, policy.Admitted);
        Assert.Equal(10, policy.Releases);
        Assert.Equal(0, server.Statistics.HandlerFailures);
        Assert.Equal(10, server.Statistics.CallbackFailures);
    }

    [Fact]
    public async Task An_admission_policy_that_throws_when_a_deferred_response_expires_does_not_stop_the_server()
    {
        var policy = new ThrowingPolicy { ThrowOnRelease = true };
        var handler = new DeferOn("never");
        var server = Server(handler, policy, new R2P2ServerOptions { ResponseTimeout = TimeSpan.FromMilliseconds(50) });
        var client = Client(server);

        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<R2P2TimeoutException>(() => CallExpectingTimeout(client, "never", TimeSpan.FromMilliseconds(100)).AsTask().WaitAsync(Payloads.Generous));
        }

        await Eventually(() => server.Statistics.ExpiredResponses == 5, "every deferred response expired");
        await Echoes(client, "still serving");
        Assert.Equal(policy.Admitted, policy.Releases);
    }

    [Fact]
    public async Task An_admission_policy_that_throws_on_release_after_a_multi_packet_request_does_not_stop_the_server()
    {
        var policy = new ThrowingPolicy { ThrowOnRelease = true };
        var server = Server(new EchoHandler(), policy, new R2P2ServerOptions { ReassemblyTimeout = TimeSpan.FromMilliseconds(50) });
        var client = Client(server);

        // The FIRST packet is asked about with the default CanAdmit (admit, then release at once): that release throws.
        await Assert.ThrowsAsync<R2P2DroppedException>(() => client.CallAsync(Payloads.Make(3000)).AsTask().WaitAsync(Payloads.Generous));
        await Echoes(client, "still serving");
        Assert.Equal(policy.Admitted, policy.Releases);
        Assert.True(server.Statistics.CallbackFailures >= 2);
    }

    [Fact]
    public async Task A_failure_log_that_throws_is_swallowed_and_every_failure_is_counted_before_it()
    {
        var log = new RecordingFailureLog { Throws = true };
        var server = Own(new R2P2Server(_network.Bind("10.0.0.1:0"), new ThrowOn("boom"), new R2P2ServerOptions { FailureLog = log }));
        server.HandlerFailed += (_, _) => throw new InvalidOperationException("subscriber");
        var client = Client(server);

        await Assert.ThrowsAsync<R2P2TimeoutException>(() => CallExpectingTimeout(client, "boom", ShortTimeout).AsTask().WaitAsync(Payloads.Generous));
        await Echoes(client, "still serving");

        Assert.Equal(1, server.Statistics.HandlerFailures);
        Assert.Equal(1, server.Statistics.CallbackFailures);
        Assert.Equal([R2P2Failure.Handler, R2P2Failure.EventSubscriber], log.Failures);
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    private static async Task Echoes(R2P2Client client, string text)
    {
        var payload = System.Text.Encoding.ASCII.GetBytes(text);
        using var response = await client.CallAsync(payload).AsTask().WaitAsync(Payloads.Generous);
        Assert.Equal(payload, Payloads.ToArray(response.Payload));
    }

    private R2P2Server Server(IR2P2Handler handler, IR2P2AdmissionPolicy? policy, R2P2ServerOptions? options = null)
    {
        options ??= new R2P2ServerOptions();
        return Own(new R2P2Server(_network.Bind("10.0.0.1:0"), handler, new R2P2ServerOptions
        {
            AdmissionPolicy = policy,
            ResponseTimeout = options.ResponseTimeout,
            ReassemblyTimeout = options.ReassemblyTimeout,
        }));
    }

    // Calls that must succeed or be refused wait generously (a loaded machine can stall the loops for long); only calls
    // expected to time out pass the short timeout of their own.
    private R2P2Client Client(R2P2Server server)
        => Own(new R2P2Client(_network.Bind("10.0.0.2:0"), server.LocalAddress, new R2P2ClientOptions { Timeout = Payloads.Generous }));

    private static ValueTask<R2P2Response> CallExpectingTimeout(R2P2Client client, string text, TimeSpan timeout)
        => client.CallAsync(System.Text.Encoding.ASCII.GetBytes(text), RoutingPolicy.LoadBalanced, timeout);

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    private sealed class ThrowOn(string trigger) : IR2P2Handler
    {
        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            if (System.Text.Encoding.ASCII.GetString(request.Payload.ToArray()) == trigger)
            {
                throw new InvalidOperationException("the handler failed");
            }

            foreach (var segment in request.Payload)
            {
                response.Write(segment.Span);
            }
        }
    }

    private sealed class DeferOn(string trigger) : IR2P2Handler
    {
        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            if (System.Text.Encoding.ASCII.GetString(request.Payload.ToArray()) == trigger)
            {
                _ = request.Defer();
                return;
            }

            foreach (var segment in request.Payload)
            {
                response.Write(segment.Span);
            }
        }
    }

    private sealed class ThrowingPolicy : IR2P2AdmissionPolicy
    {
        private int _admitted;
        private int _releases;

        public volatile bool ThrowOnAdmit;
        public volatile bool ThrowOnRelease;

        public int Admitted => Volatile.Read(ref _admitted);

        public int Releases => Volatile.Read(ref _releases);

        public bool TryAdmit(in R2P2AdmissionRequest request)
        {
            ObjectDisposedException.ThrowIf(ThrowOnAdmit, this);

            Interlocked.Increment(ref _admitted);
            return true;
        }

        public void Release(in R2P2AdmissionRequest request)
        {
            Interlocked.Increment(ref _releases);
            ObjectDisposedException.ThrowIf(ThrowOnRelease, this);
        }
    }
}
