using System;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Client;

/// <summary>
/// <see cref="R2P2Client.PrepareCalls"/>: a callback runs before its call goes back to the client's pool, so a caller
/// that starts a call while one runs needs one call more than are in flight. Prepared ahead, that call is not made on
/// the starting thread (docs/r2p2.md, "Calls for load generators").
/// </summary>
[Collection(AllocationMeasurementCollection.Name)]
public sealed class PrepareCallsTests
{
    private static readonly ReadOnlyMemory<byte> Payload = new byte[64];

    [Theory]
    [MemberData(nameof(ZeroAllocationTests.Networks), MemberType = typeof(ZeroAllocationTests))]
    public void A_call_started_while_a_callback_runs_takes_a_prepared_call_and_allocates_nothing(string networkName)
    {
        TestNetwork network = networkName == "in-memory" ? new InMemoryTestNetwork() : new UdpTestNetwork();
        using var server = new R2P2Server(network.Bind(), new EchoHandler());
        var options = new R2P2ClientOptions { Timeout = Payloads.Generous };
        var ended = new CountingCallback();

        // Another client first: the code paths and the server's pools are warm, so what the measured call could allocate
        // is the client's own state.
        using (var warm = new R2P2Client(network.Bind(), server.LocalAddress, options))
        {
            for (var i = 1; i <= 200; i++)
            {
                Assert.True(warm.TryCall(Payload, ended));
                Assert.True(SpinWait.SpinUntil(() => ended.Count == i, Payloads.Generous), "a warm-up call did not end");
            }
        }

        // A fresh client owns no call until asked: the held call takes one, the measured call the other.
        using var client = new R2P2Client(network.Bind(), server.LocalAddress, options);
        client.PrepareCalls(2);
        using var held = new HoldingCallback();
        Assert.True(client.TryCall(Payload, held));
        Assert.True(held.Entered.Wait(Payloads.Generous), "the held call's callback did not run");

        // The held call's callback is running: its call is not back in the pool.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var started = client.TryCall(Payload, ended);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        held.Release.Set();

        Assert.True(started);
        Assert.Equal(0, allocated);
        Assert.True(SpinWait.SpinUntil(() => ended.Count == 201, Payloads.Generous), "the measured call did not end");
    }

    [Fact]
    public void A_negative_count_is_refused()
    {
        var network = new InMemoryTestNetwork();
        using var server = network.Bind();
        using var client = new R2P2Client(network.Bind(), server.LocalAddress);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => client.PrepareCalls(-1));
        Assert.Equal("count", error.ParamName);
    }

    [Fact]
    public void The_pool_stops_at_max_in_flight_and_calls_it_owns_are_not_made_again()
    {
        var network = new InMemoryTestNetwork();
        using var server = network.Bind();
        R2P2Client Client() => new(network.Bind(), server.LocalAddress, new R2P2ClientOptions { MaxInFlight = 4 });
        using (var warm = Client())
        {
            BytesMadeBy(() => warm.PrepareCalls(4)); // the first preparation of the process pays for its code
        }

        using var exact = Client();
        using var capped = Client();
        var four = BytesMadeBy(() => exact.PrepareCalls(4));
        var million = BytesMadeBy(() => capped.PrepareCalls(1_000_000));

        Assert.True(four > 0, "preparing four calls made nothing");
        Assert.Equal(four, million);
        Assert.Equal(0, BytesMadeBy(() => exact.PrepareCalls(4)));
    }

    [Fact]
    public void A_disposed_client_refuses_to_prepare_calls()
    {
        var network = new InMemoryTestNetwork();
        using var server = network.Bind();
        var client = new R2P2Client(network.Bind(), server.LocalAddress);
        client.Dispose();

        Assert.Throws<ObjectDisposedException>(() => client.PrepareCalls(1));
    }

    // What the thread running prepare allocated; a preparation that never stops fails here instead of hanging the run.
    private static long BytesMadeBy(Action prepare)
    {
        var made = Task.Run(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            prepare();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        });
        Assert.True(made.Wait(Payloads.Generous), "PrepareCalls did not return");
        return made.Result;
    }

    private sealed class CountingCallback : IR2P2CallCallback
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void OnCallCompleted(in R2P2CallCompletion completion)
        {
            Assert.True(completion.Succeeded, $"a call ended {completion.Status}");
            Interlocked.Increment(ref _count);
        }
    }

    /// <summary>Holds the receive loop inside the callback until released: its call stays out of the pool meanwhile.</summary>
    private sealed class HoldingCallback : IR2P2CallCallback, IDisposable
    {
        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public void OnCallCompleted(in R2P2CallCompletion completion)
        {
            Entered.Set();
            Release.Wait(Payloads.Generous);
        }

        public void Dispose()
        {
            Release.Set();
            Entered.Dispose();
            Release.Dispose();
        }
    }
}
