using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Load.Generator;
using TailGuard.Load.Tests.Infrastructure;
using TailGuard.Load.Timing;
using Xunit.Abstractions;

namespace TailGuard.Load.Tests.Generator;

/// <summary>
/// The sending thread's own behaviour, which decides whether the generator keeps its schedule on a shared machine: it
/// sleeps between distant sends instead of holding a core, allocates nothing while it sends, runs at the priority it
/// asked for, and every point reports where its time went. None of it is a timing assertion: CPU time, bytes, counts.
/// </summary>
[Collection(nameof(LoadMeasurement))]
public sealed class SenderThreadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Between_distant_sends_the_sender_sleeps_rather_than_holding_its_core()
    {
        using var server = TestServers.Start(new EchoHandler());
        await using var target = new R2P2EchoTarget(server.EndPoint(), 64);
        await using var generator = await LoadGenerator.ConnectAsync(target, Options(InterArrivalDistribution.Fixed));

        // 100 requests/s: 10 ms between sends, of which the sender may spin its 50 us. The old wait spun the last 2 ms of
        // every gap (a fifth of the core); a machine that deschedules the sender only lowers its time on a core.
        var point = await generator.RunOpenLoopAsync(100);
        var sender = Health(point);
        if (sender.OnCore is not { } onCore)
        {
            output.WriteLine("SKIPPED the on-core assertion: the scheduler's per-thread counters (Linux /proc/self/task/TID/schedstat) are unavailable.");
            return;
        }

        Assert.True(onCore < sender.Elapsed * 0.05, $"the sender was on a core {onCore.TotalMilliseconds:0.#} ms of {sender.Elapsed.TotalMilliseconds:0} ms");

        // A busy machine's low share of a core also keeps a spinning sender under 5%: the switches tell them apart. A sender
        // that reached its wait early sleeps (one voluntary switch at least) and then sends on time; one the scheduler made
        // late sends at once, back to back, with no sleep to make. So the on-time sends bound the sleeps from below (half
        // of them, for sends that reached their wait inside the spin and never had to sleep); a spinner has next to no
        // voluntary switches however many sends were on time. At load 40-90, 168 sends made 60 switches: many were late.
        var onTime = OnTimeSends(point, Options(InterArrivalDistribution.Fixed).SenderSpin);
        Assert.True(sender.VoluntarySwitches >= onTime / 2, $"{sender.VoluntarySwitches} voluntary switches for {onTime} sends on time ({point.Sent} sent): it does not sleep between them");
    }

    [Fact]
    public async Task The_sending_thread_allocates_nothing_while_it_sends()
    {
        using var server = TestServers.Start(new EchoHandler());
        await using var target = new R2P2EchoTarget(server.EndPoint(), 64);
        var options = Options(InterArrivalDistribution.Exponential);
        await using var generator = await LoadGenerator.ConnectAsync(target, options);

        // The steady state first: a closed loop at the in-flight limit grows every pool behind the sender (its requests,
        // the client's calls) to the most an open loop can ever have in flight, so a burst after a stall of this busy
        // machine's making finds them full.
        await generator.RunClosedLoopAsync(options.MaxInFlight / options.Connections, TimeSpan.FromMilliseconds(500));

        // Several points, each with fresh logs: the half-megabyte log chunks are allocated ahead by the controller, never
        // by the sender in its window (they were, at its first send, a stall of the sender and a collection to come).
        var allocated = new long[3];
        for (var i = 0; i < allocated.Length; i++)
        {
            var point = await generator.RunOpenLoopAsync(2_000);
            allocated[i] = Health(point).AllocatedBytes;
            Assert.True(point.Sent > 1_000, $"only {point.Sent} sends");
        }

        Array.Sort(allocated);
        Assert.Equal(0, allocated[0]);
        Assert.Equal(0, allocated[allocated.Length / 2]);
    }

    [Fact]
    public async Task The_sending_thread_allocates_nothing_when_it_sends_in_batches()
    {
        using var server = TestServers.Start(new EchoHandler());
        await using var target = new R2P2EchoTarget(server.EndPoint(), 64);
        await AssertBatchedSendsAllocateNothing(target);
    }

    [Fact]
    public async Task The_sending_thread_allocates_nothing_when_a_generated_client_sends_in_batches()
    {
        using var server = TestServers.Start(new CounterDispatcher(new Counter()));
        await using var target = new R2P2ServiceTarget<CounterClient, long>(
            server.EndPoint(),
            client => new CounterClient(client),
            (counter, request) => counter.AddAsync((int)(request.Sequence & 3) + 1),
            createBatchClient: batch => new CounterClient(batch));
        await AssertBatchedSendsAllocateNothing(target);
    }

    /// <summary>
    /// The same without the batch form: the generator's batches are sent one call at a time (docs/load.md, "Batched
    /// sends"), and the sender allocates nothing. Each call's continuation is attached after the call was sent, so a
    /// sender descheduled in between attaches it after the answer landed: that cost a 32-byte work item per late call
    /// until ContinuationSlot, then 32 bytes once per sender thread (the thread pool's per-thread state, read to queue the
    /// first late continuation to the local queue) until late continuations went to the global queue.
    /// LateContinuationTests makes both happen on demand.
    /// </summary>
    [Fact]
    public async Task The_sending_thread_allocates_nothing_when_a_generated_client_without_a_batch_form_is_handed_batches()
    {
        using var server = TestServers.Start(new CounterDispatcher(new Counter()));
        await using var target = new R2P2ServiceTarget<CounterClient, long>(
            server.EndPoint(),
            client => new CounterClient(client),
            (counter, request) => counter.AddAsync((int)(request.Sequence & 3) + 1));
        await AssertBatchedSendsAllocateNothing(target);
    }

    /// <summary>
    /// A 1 ms send window at 5k/s: about five requests per batch, each batch one R2P2CallBatch flush (one sendmmsg); the
    /// sender allocates nothing in the median of three points.
    /// </summary>
    private async Task AssertBatchedSendsAllocateNothing(LoadTarget target)
    {
        var allocated = (await RunBatchedPointsAsync(target)).Select(point => point.Allocated).Order().ToArray();
        output.WriteLine($"bytes the senders allocated in each point: {string.Join(", ", allocated)}");
        Assert.Equal(0, allocated[0]);
        Assert.Equal(0, allocated[allocated.Length / 2]);
    }

    /// <summary>Three batched points after a closed-loop warm-up: what each point's senders allocated, and how many requests it sent.</summary>
    private async Task<(long Allocated, long Sent)[]> RunBatchedPointsAsync(LoadTarget target)
    {
        var options = new LoadGeneratorOptions
        {
            Connections = 2,
            LatencyConnections = 1,
            MaxInFlight = 512,
            Distribution = InterArrivalDistribution.Exponential,
            WarmUp = TimeSpan.FromMilliseconds(300),
            Duration = TimeSpan.FromSeconds(1.5),
            Seed = 7,
            SendWindow = TimeSpan.FromMilliseconds(1),
            MaxSendBatch = 32,
        };
        await using var generator = await LoadGenerator.ConnectAsync(target, options);
        await generator.RunClosedLoopAsync(options.MaxInFlight / options.Connections, TimeSpan.FromMilliseconds(500));

        var points = new (long Allocated, long Sent)[3];
        for (var i = 0; i < points.Length; i++)
        {
            var point = await generator.RunOpenLoopAsync(5_000);
            var sender = Health(point);
            points[i] = (sender.AllocatedBytes, point.Sent);
            Assert.True(sender.BatchedSends > point.Sent / 2, $"{sender.BatchedSends} of {point.Sent} sends batched");
            Assert.True(point.Ok > point.Sent / 2, $"{point.Ok} of {point.Sent} ok");
        }

        return points;
    }

    [Fact]
    public async Task Collections_during_a_point_are_counted_in_its_sender_health()
    {
        using var server = TestServers.Start(new EchoHandler());
        await using var target = new R2P2EchoTarget(server.EndPoint(), 64);
        var options = Options(InterArrivalDistribution.Exponential);
        await using var generator = await LoadGenerator.ConnectAsync(target, options);

        // The point counts from before it returns its task until after its window (warm-up plus duration) has passed, so
        // a collection forced after the call and finished before that window's end is surely inside the point; one
        // finished later may not be (a busy machine can delay this loop by seconds), so it is forced but not expected.
        var windowEnd = Stopwatch.GetTimestamp() + (long)((options.WarmUp + options.Duration).TotalSeconds * Stopwatch.Frequency);
        var running = generator.RunOpenLoopAsync(500);
        var inside = 0;
        while (!running.IsCompleted)
        {
            await Task.Delay(100);
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            inside += Stopwatch.GetTimestamp() < windowEnd ? 1 : 0;
        }

        var point = await running;
        var sender = Health(point);
        Assert.True(inside > 0, "no collection was forced inside the point's window");
        Assert.True(sender.GarbageCollections >= inside, $"{sender.GarbageCollections} collections counted, {inside} forced inside the point");
        Assert.True(sender.GarbageCollectionPause > TimeSpan.Zero);
        Assert.Contains($"{sender.GarbageCollections} GCs", sender.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sender_runs_at_the_priority_it_asked_for_where_it_may()
    {
        using var server = TestServers.Start(new EchoHandler());
        await using var target = new R2P2EchoTarget(server.EndPoint(), 64);
        await using var normal = await LoadGenerator.ConnectAsync(target, Options(InterArrivalDistribution.Exponential, SenderPriority.Normal));
        Assert.Equal("normal priority", Health(await normal.RunOpenLoopAsync(500)).Priority);

        await using var high = await LoadGenerator.ConnectAsync(target, Options(InterArrivalDistribution.Exponential, SenderPriority.High));
        var granted = Health(await high.RunOpenLoopAsync(500)).Priority;
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            output.WriteLine($"SKIPPED: raising a thread's priority needs Linux and root (or CAP_SYS_NICE); the point says '{granted}'.");
            Assert.Equal("normal priority", granted);
            return;
        }

        Assert.Equal($"nice {ThreadRecord.HighPriorityNice}", granted);
    }

    [Fact]
    public void A_threads_scheduler_counters_tell_sleeping_from_running()
    {
        if (!OperatingSystem.IsLinux())
        {
            output.WriteLine("SKIPPED: per-thread scheduler counters are Linux's.");
            return;
        }

        ThreadCounters slept = default, spun = default;
        var thread = new Thread(() =>
        {
            var id = ThreadScheduling.CurrentThreadId();
            var start = ThreadScheduling.Read(id);
            for (var i = 0; i < 20; i++)
            {
                Thread.Sleep(10);
            }

            var afterSleeping = ThreadScheduling.Read(id);
            slept = afterSleeping.Since(start);
            var until = Environment.TickCount64 + 200;
            while (Environment.TickCount64 < until)
            {
                Thread.SpinWait(100);
            }

            spun = ThreadScheduling.Read(id).Since(afterSleeping);
        });
        thread.Start();
        thread.Join();

        Assert.True(slept.Available && spun.Available);
        Assert.True(slept.VoluntarySwitches >= 20, $"{slept.VoluntarySwitches} voluntary switches over 20 sleeps");
        Assert.True(slept.OnCoreNanoseconds < 20_000_000, $"{slept.OnCoreNanoseconds} ns on a core while sleeping 200 ms");
        Assert.True(spun.OnCoreNanoseconds > slept.OnCoreNanoseconds, $"spinning {spun.OnCoreNanoseconds} ns, sleeping {slept.OnCoreNanoseconds} ns on a core");
        Assert.Equal(default, ThreadScheduling.Read(int.MaxValue)); // no such thread: unavailable, not an exception
    }

    [Fact]
    public void A_failed_lateness_check_names_where_the_senders_time_went()
    {
        var lateness = new LatencyDistribution();
        for (var i = 0; i < 1_000; i++)
        {
            lateness.Record(i < 950 ? 500 : 2_000_000); // 5% of sends 2 ms late
        }

        var health = new SenderHealth
        {
            Elapsed = TimeSpan.FromSeconds(6),
            OnCore = TimeSpan.FromSeconds(1),
            RunQueueWait = TimeSpan.FromMilliseconds(340),
            InvoluntarySwitches = 120,
            VoluntarySwitches = 5_000,
            GarbageCollections = 2,
            GarbageCollectionPause = TimeSpan.FromMilliseconds(3),
            Priority = "normal priority",
        };
        var failed = PointEvaluator.LatenessCheck(lateness, new SelfCheckOptions(), health);
        Assert.Equal(CheckStatus.Failed, failed.Status);
        Assert.Contains("waited 340 ms for a core (120 preemptions)", failed.Detail, StringComparison.Ordinal);
        Assert.Contains("2 GCs (3 ms paused)", failed.Detail, StringComparison.Ordinal);

        var passed = PointEvaluator.LatenessCheck(lateness, new SelfCheckOptions { MaxSendLateness = TimeSpan.FromMilliseconds(5) }, health);
        Assert.Equal(CheckStatus.Passed, passed.Status);
        Assert.DoesNotContain("waited", passed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sender_spin_is_bounded()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LoadGenerator.ConnectAsync(new R2P2EchoTarget(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9), 8), new LoadGeneratorOptions { SenderSpin = TimeSpan.FromMilliseconds(11) }).GetAwaiter().GetResult());
        Assert.Throws<ArgumentOutOfRangeException>(() => LoadGenerator.ConnectAsync(new R2P2EchoTarget(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9), 8), new LoadGeneratorOptions { SenderSpin = TimeSpan.FromMicroseconds(-1) }).GetAwaiter().GetResult());
        Assert.Throws<ArgumentOutOfRangeException>(() => LoadGenerator.ConnectAsync(new R2P2EchoTarget(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9), 8), new LoadGeneratorOptions { SenderPriority = (SenderPriority)7 }).GetAwaiter().GetResult());
    }

    private static LoadGeneratorOptions Options(InterArrivalDistribution distribution, SenderPriority priority = SenderPriority.High) => new()
    {
        Connections = 2,
        LatencyConnections = 1,
        MaxInFlight = 512,
        Distribution = distribution,
        WarmUp = TimeSpan.FromMilliseconds(300),
        Duration = TimeSpan.FromSeconds(1.5),
        Seed = 7,
        SenderPriority = priority,
    };

    /// <summary>The sends of the point no later than <paramref name="spin"/> after their scheduled time.</summary>
    private static long OnTimeSends(LoadPointResult point, TimeSpan spin)
    {
        var limit = (long)spin.TotalNanoseconds;
        return point.SendLateness.Buckets().Where(b => b.Nanoseconds <= limit).Sum(b => b.Count);
    }

    private SenderHealth Health(LoadPointResult point)
    {
        var sender = point.Sender;
        Assert.NotNull(sender);
        output.WriteLine($"{point.AchievedRate:0}/s: sent {point.Sent}; senders {sender}; lateness p99 {point.SendLateness.Estimate(99).Microseconds:0.#} us");
        return sender;
    }
}
