using System;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Load.Tests.Generator;
using TailGuard.Load.Tests.Infrastructure;
using TailGuard.R2P2;
using Xunit.Abstractions;

namespace TailGuard.Load.Tests.R2P2;

/// <summary>
/// The race a sender of one call per request loses on a busy machine (docs/load.md, "The sending thread"): it
/// finds its call pending, is descheduled, and attaches its continuation after the answer landed. Each test makes that
/// happen on every call (the server answers only once the call has returned pending, and the continuation is attached
/// only once the call has ended) and counts the attaching thread's bytes: the late continuation is queued as the
/// pending call itself, where the runtime's core wrapped it in a new 32-byte work item.
/// </summary>
[Collection(AllocationMeasurementCollection.Name)]
public sealed class LateContinuationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2); // hang guards, not timing bounds
    private static readonly ReadOnlyMemory<byte> Payload = new byte[16];

    [Fact]
    public void A_continuation_attached_after_an_R2P2_call_ended_allocates_nothing()
    {
        var gate = new Gate();
        using var server = TestServers.Start(new GatedEcho(gate));
        using var client = R2P2Client.CreateUdp(server.EndPoint(), new R2P2ClientOptions { RunContinuationsAsynchronously = false, Timeout = Patience });
        var late = new LateAttach<R2P2Response>(gate, static response => response.Dispose());

        var report = OnOwnThread(() => AllocationWindows.OnThisThread(_ => late.Attach(client.CallAsync(Payload)), callsPerWindow: 200, warmUpCalls: 1_000));

        output.WriteLine(report.ToString());
        report.AssertNoPerCallAllocation();
    }

    [Fact]
    public void A_continuation_attached_after_a_generated_call_ended_allocates_nothing()
    {
        // The load generator's sender attaches to the generated call (R2P2ServiceTarget); the generated call attaches to
        // the R2P2 call before it returns, so only the first is attached late here.
        var gate = new Gate();
        var counter = new GatedCounter(gate);
        using var server = TestServers.Start(new CounterDispatcher(counter));
        using var client = R2P2Client.CreateUdp(server.EndPoint(), new R2P2ClientOptions { RunContinuationsAsynchronously = false, Timeout = Patience });
        var counterClient = new CounterClient(client);
        var late = new LateAttach<long>(gate, static _ => { });

        var report = OnOwnThread(() => AllocationWindows.OnThisThread(_ => late.Attach(counterClient.AddAsync(1)), callsPerWindow: 200, warmUpCalls: 1_000));

        output.WriteLine(report.ToString());
        Assert.Equal(1_000 + (report.WindowBytes.Length * report.CallsPerWindow), counter.Total);
        report.AssertNoPerCallAllocation();
    }

    /// <summary>
    /// A load generator's sender is a fresh thread per point, outside the thread pool, and its first late continuation may
    /// fall in the measured window: queueing it must not allocate the pool's per-thread state on that thread (it did,
    /// 32 B once per point now and then, while the late continuation was queued to the local queue).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_first_continuation_a_fresh_thread_attaches_late_allocates_nothing(bool generated)
    {
        var gate = new Gate();
        var counter = new GatedCounter(gate);
        using var server = TestServers.Start(generated ? new CounterDispatcher(counter) : new GatedEcho(gate));
        using var client = R2P2Client.CreateUdp(server.EndPoint(), new R2P2ClientOptions { RunContinuationsAsynchronously = false, Timeout = Patience });
        var counterClient = new CounterClient(client);
        var echo = new LateAttach<R2P2Response>(gate, static response => response.Dispose());
        var add = new LateAttach<long>(gate, static _ => { });
        Action late = generated ? () => add.Attach(counterClient.AddAsync(1)) : () => echo.Attach(client.CallAsync(Payload));
        Action inTime = generated ? () => add.AttachInTime(counterClient.AddAsync(1)) : () => echo.AttachInTime(client.CallAsync(Payload));

        // The pools behind a call (the client's, the generated call's) and the test's own code warmed up on another thread.
        OnOwnThread(() => AllocationWindows.OnThisThread(i => (i % 2 == 0 ? late : inTime)(), windows: 3, callsPerWindow: 100, warmUpCalls: 1_000));

        // Each fresh thread first makes calls as a sender's warm-up does (continuations attached in time, which touch the
        // thread's own lazily made state), then its first late one is measured.
        var firstLate = new long[3];
        for (var i = 0; i < firstLate.Length; i++)
        {
            firstLate[i] = OnOwnThread(() =>
            {
                for (var call = 0; call < 10; call++)
                {
                    inTime();
                }

                var before = GC.GetAllocatedBytesForCurrentThread();
                late();
                return GC.GetAllocatedBytesForCurrentThread() - before;
            });
        }

        output.WriteLine($"bytes of each fresh thread's first late-attached call: {string.Join(", ", firstLate)}");
        Assert.All(firstLate, bytes => Assert.Equal(0, bytes));
    }

    /// <summary>
    /// Measures on a thread of the test's own: xunit's test thread has a synchronization context, and a continuation that
    /// must return to one is handed to the runtime's core (which captures it), as it should be.
    /// </summary>
    private static T OnOwnThread<T>(Func<T> measure)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = measure();
            }
            catch (Exception error)
            {
                failure = error;
            }
        });
        thread.Start();
        Assert.True(thread.Join(2 * Patience), "the measuring thread did not finish");
        if (failure is not null)
        {
            throw new InvalidOperationException("The measuring thread failed: " + failure.Message, failure);
        }

        return result;
    }

    /// <summary>
    /// Lets the server answer a call only once the test has seen it return pending (a server thread waits in
    /// <see cref="Pass"/>; the test thread only writes a flag).
    /// </summary>
    private sealed class Gate
    {
        private readonly Func<bool> _isOpen;
        private int _open;

        public Gate() => _isOpen = () => Volatile.Read(ref _open) == 1;

        public void Open() => Volatile.Write(ref _open, 1);

        public void Pass()
        {
            if (!SpinWait.SpinUntil(_isOpen, Patience))
            {
                throw new TimeoutException("the test never let a call be answered");
            }

            Volatile.Write(ref _open, 0);
        }
    }

    private sealed class GatedEcho(Gate gate) : IR2P2Handler
    {
        private readonly EchoHandler _echo = new();

        public void Handle(in R2P2Request request, System.Buffers.IBufferWriter<byte> response)
        {
            gate.Pass();
            _echo.Handle(request, response);
        }
    }

    private sealed class GatedCounter(Gate gate) : ICounter
    {
        private long _total;

        public long Total => Volatile.Read(ref _total);

        public long Add(int amount)
        {
            gate.Pass();
            return Interlocked.Add(ref _total, amount);
        }
    }

    /// <summary>
    /// Sees a call return pending, lets it be answered, waits for it to end, then attaches a continuation (made once) to
    /// it, and waits for that to run.
    /// </summary>
    private sealed class LateAttach<T>
    {
        private readonly Gate _gate;
        private readonly Action<T> _consume;
        private readonly Action _onCompleted;
        private readonly Func<bool> _ended;
        private readonly Func<bool> _continued;
        private ValueTask<T> _pending;
        private int _running;

        public LateAttach(Gate gate, Action<T> consume)
        {
            _gate = gate;
            _consume = consume;
            _onCompleted = OnCompleted;
            _ended = () => _pending.IsCompleted;
            _continued = () => Volatile.Read(ref _running) == 0;
        }

        public void Attach(ValueTask<T> pending)
        {
            Assert.False(pending.IsCompleted, "a call was answered before the server was let answer it");
            _pending = pending;
            _gate.Open();
            Assert.True(SpinWait.SpinUntil(_ended, Patience), "a call never ended");
            Volatile.Write(ref _running, 1);
            pending.GetAwaiter().UnsafeOnCompleted(_onCompleted);
            Assert.True(SpinWait.SpinUntil(_continued, Patience), "a continuation attached late never ran");
        }

        /// <summary>The ordinary order, for contrast: attaches while the call is pending, then lets it be answered.</summary>
        public void AttachInTime(ValueTask<T> pending)
        {
            Assert.False(pending.IsCompleted, "a call was answered before the server was let answer it");
            _pending = pending;
            Volatile.Write(ref _running, 1);
            pending.GetAwaiter().UnsafeOnCompleted(_onCompleted);
            _gate.Open();
            Assert.True(SpinWait.SpinUntil(_continued, Patience), "a continuation attached in time never ran");
        }

        private void OnCompleted()
        {
            var pending = _pending;
            _pending = default;
            _consume(pending.GetAwaiter().GetResult());
            Volatile.Write(ref _running, 0);
        }
    }
}
