using System;
using System.Buffers;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.EndToEnd.Tests.Infrastructure;
using TailGuard.EndToEnd.Tests.Services;
using TailGuard.R2P2;
using static TailGuard.EndToEnd.Tests.Infrastructure.DispatcherProbe;

namespace TailGuard.EndToEnd.Tests;

/// <summary>Steady-state calls through the generated dispatcher and client allocate nothing.</summary>
[Collection(AllocationMeasurementCollection.Name)]
public sealed class ZeroAllocationTests
{
    [Fact]
    public void The_dispatcher_allocates_nothing_per_call()
    {
        var dispatcher = new StoreDispatcher(new Store());
        var kitchen = new KitchenSinkDispatcher(new KitchenSink());
        var response = new ArrayBufferWriter<byte>(8192);
        var put = new ReadOnlySequence<byte>(Request(TailGuard.R2P2.Stubs.MethodId.FromName("Put"), Concat(Block(1, 7), Block(100, new byte[100]))));
        var get = new ReadOnlySequence<byte>(Request(TailGuard.R2P2.Stubs.MethodId.FromName("Get"), Concat(Block(1, 7), BitConverter.GetBytes(512u))));
        var ints = new ReadOnlySequence<byte>(Request(TailGuard.R2P2.Stubs.MethodId.FromName("Ints"), 1, 0, 0, 0, 2, 0, 0, 0));
        var twice = new ReadOnlySequence<byte>(Request(TailGuard.R2P2.Stubs.MethodId.FromName("Twice"), new byte[24]));
        var multiSegment = Segments.Split(Request(TailGuard.R2P2.Stubs.MethodId.FromName("Length"), Block(64, new byte[64])), 10, 40);
        void Once()
        {
            response.ResetWrittenCount();
            dispatcher.Handle(new R2P2Request(put, 1, RoutingPolicy.LoadBalanced), response);
            dispatcher.Handle(new R2P2Request(get, 2, RoutingPolicy.LoadBalanced), response);
            kitchen.Handle(new R2P2Request(ints, 3, RoutingPolicy.LoadBalanced), response);
            kitchen.Handle(new R2P2Request(twice, 4, RoutingPolicy.LoadBalanced), response);
            kitchen.Handle(new R2P2Request(multiSegment, 5, RoutingPolicy.LoadBalanced), response);
        }

        AllocationReport report = AllocationWindows.OnThisThread(_ => Once());

        report.AssertNoPerCallAllocation();
        Assert.Equal(2 + (1 + 4 + 4 + 100) + (1 + 4) + (1 + 24) + (1 + 4), response.WrittenCount);
    }

    /// <summary>
    /// With continuations run inline, a call's whole client side (encode, pooled async box, decode) runs on the client's
    /// receive thread after the first call, and the dispatcher runs on the server's receive thread; both loops report
    /// <see cref="GC.GetAllocatedBytesForCurrentThread"/>, so together they cover every byte the generated code allocates.
    /// </summary>
    [Fact]
    public async Task Calls_through_the_generated_client_and_dispatcher_allocate_nothing()
    {
        var inline = new R2P2ClientOptions { Timeout = TestService.Generous, RunContinuationsAsynchronously = false };
        await using var store = new TestService(new StoreDispatcher(new Store()), inline);
        await using var kitchen = new TestService(new KitchenSinkDispatcher(new KitchenSink()), inline);
        var storeClient = new StoreClient(store.Client);
        var kitchenClient = new KitchenSinkClient(kitchen.Client);
        ReadOnlyMemory<byte> key = new byte[] { 3 };
        ReadOnlyMemory<byte> value = new byte[200];
        Memory<byte> destination = new byte[512];
        var sample = new Sample { Id = 1, Value = 2 };

        async Task Run(int count)
        {
            for (int i = 0; i < count; i++)
            {
                await storeClient.PutAsync(key, value);
                await storeClient.GetAsync(key, destination);
                using (await storeClient.GetLeaseAsync(key, 512))
                {
                }

                await kitchenClient.IntsAsync(i, 1);
                await kitchenClient.TwiceAsync(sample);
                await kitchenClient.PingAsync();
            }
        }

        // Run is started here and finishes on a receive thread; polling for its end (instead of awaiting it) keeps
        // the test's own continuation, which xunit would post to its synchronization context, out of the measurement.
        void RunToEnd(int count)
        {
            Task run = Task.Run(() => Run(count));
            // A hang guard, not a timing assertion: a window of calls on a loaded 2-core machine can take many seconds.
            Assert.True(SpinWait.SpinUntil(() => run.IsCompleted, TimeSpan.FromMinutes(2)), "the calls did not finish");
            run.GetAwaiter().GetResult();
        }

        // A window of rounds (six calls each) is measured on both services' receive loops, where the calls run.
        AllocationReport report = AllocationWindows.Measure(
            RunToEnd,
            () => Settled(store) + Settled(kitchen),
            warmUpCalls: 10_000);

        long rounds = 10_000 + (report.WindowBytes.Length * (long)report.CallsPerWindow);
        Assert.Equal(3 * rounds, store.Server.Statistics.Responses);
        Assert.Equal(3 * rounds, kitchen.Server.Statistics.Responses);
        report.AssertNoPerCallAllocation();
    }

    /// <summary>
    /// The batch form of the generated client (docs/r2p2-services.md, "Calls that leave together"): each round queues
    /// more calls of one method than the old fixed pool of pending generated calls held (16), flushes them in one send,
    /// and awaits them all, inline on the client's receive thread as above. Zero-copy writes, pooled sources and
    /// decoders are the plain client's; nothing allocates per call on either loop.
    /// </summary>
    [Fact]
    public async Task Calls_through_a_generated_client_made_over_a_batch_allocate_nothing()
    {
        const int PutsPerRound = 24;
        var inline = new R2P2ClientOptions { Timeout = TestService.Generous, RunContinuationsAsynchronously = false };
        await using var store = new TestService(new StoreDispatcher(new Store()), inline);
        var batch = store.Client.CreateBatch();
        var client = new StoreClient(batch);
        ReadOnlyMemory<byte> key = new byte[] { 3 };
        ReadOnlyMemory<byte> value = new byte[200];
        Memory<byte> destination = new byte[512];
        var puts = new ValueTask<bool>[PutsPerRound];
        Assert.True(await new StoreClient(store.Client).PutAsync(key, value));

        async Task Run(int count)
        {
            for (int i = 0; i < count; i++)
            {
                for (int p = 0; p < puts.Length; p++)
                {
                    // Each awaited once, below, after the flush that sends them.
#pragma warning disable CA2012
                    puts[p] = client.PutAsync(key, value);
#pragma warning restore CA2012
                }

                ValueTask<int> get = client.GetAsync(key, destination);
                ValueTask<R2P2ResultLease<int>> lease = client.GetLeaseAsync(key, 512);
                batch.Flush();
                for (int p = 0; p < puts.Length; p++)
                {
                    if (!await puts[p])
                    {
                        throw new InvalidOperationException("a put failed");
                    }
                }

                if (await get != value.Length)
                {
                    throw new InvalidOperationException("a get failed");
                }

                using (await lease)
                {
                }
            }
        }

        void RunToEnd(int count)
        {
            Task run = Task.Run(() => Run(count));
            Assert.True(SpinWait.SpinUntil(() => run.IsCompleted, TimeSpan.FromMinutes(2)), "the calls did not finish");
            run.GetAwaiter().GetResult();
        }

        AllocationReport report = AllocationWindows.Measure(RunToEnd, () => Settled(store), callsPerWindow: 200, warmUpCalls: 1_000);

        long rounds = 1_000 + (report.WindowBytes.Length * (long)report.CallsPerWindow);
        Assert.Equal(1 + ((PutsPerRound + 2) * rounds), store.Server.Statistics.Responses);
        report.AssertNoPerCallAllocation();
    }

    [Fact]
    public void The_dispatcher_allocates_nothing_for_async_methods_that_complete_synchronously()
    {
        var dispatcher = new AsyncLedgerDispatcher(new AsyncLedger());
        var response = new ArrayBufferWriter<byte>(1024);
        var add = new ReadOnlySequence<byte>(Request(TailGuard.R2P2.Stubs.MethodId.FromName("AddAsync"), BitConverter.GetBytes(1L)));
        var touch = new ReadOnlySequence<byte>(Request(TailGuard.R2P2.Stubs.MethodId.FromName("TouchAsync"), 0));
        void Once()
        {
            response.ResetWrittenCount();
            dispatcher.Handle(new R2P2Request(add, 1, RoutingPolicy.LoadBalanced), response);
            dispatcher.Handle(new R2P2Request(touch, 2, RoutingPolicy.LoadBalanced), response);
        }

        AllocationReport report = AllocationWindows.OnThisThread(_ => Once());

        report.AssertNoPerCallAllocation();
        Assert.Equal((1 + 8) + 1, response.WrittenCount);
    }

    /// <summary>The same through both receive loops: a synchronously completed ValueTask method is never deferred.</summary>
    [Fact]
    public async Task Async_methods_that_complete_synchronously_allocate_nothing_on_the_loops()
    {
        var inline = new R2P2ClientOptions { Timeout = TestService.Generous, RunContinuationsAsynchronously = false };
        await using var service = new TestService(new AsyncLedgerDispatcher(new AsyncLedger()), inline);
        var client = new AsyncLedgerClient(service.Client);

        async Task Run(int count)
        {
            for (int i = 0; i < count; i++)
            {
                await client.AddAsync(1);
                await client.TouchAsync(false);
            }
        }

        void RunToEnd(int count)
        {
            Task run = Task.Run(() => Run(count));
            Assert.True(SpinWait.SpinUntil(() => run.IsCompleted, TimeSpan.FromMinutes(2)), "the calls did not finish");
            run.GetAwaiter().GetResult();
        }

        AllocationReport report = AllocationWindows.Measure(RunToEnd, () => Settled(service), warmUpCalls: 10_000);

        report.AssertNoPerCallAllocation();
        Assert.Equal(0, service.Server.Statistics.DeferredResponses);
    }

    /// <summary>The bytes both receive loops of a service have allocated, read once each loop has finished a further iteration.</summary>
    private static long Settled(TestService service)
    {
        long clientIterations = service.Client.ReceiveLoopIterations;
        long serverIterations = service.Server.ReceiveLoopIterations;
        var deadline = DateTime.UtcNow + TestService.Generous;
        while ((service.Client.ReceiveLoopIterations < clientIterations + 1 || service.Server.ReceiveLoopIterations < serverIterations + 1) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        return service.Client.ReceiveLoopAllocatedBytes + service.Server.ReceiveLoopAllocatedBytes;
    }
}
