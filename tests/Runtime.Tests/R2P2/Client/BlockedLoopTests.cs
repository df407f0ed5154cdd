using System;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Client;

/// <summary>
/// Code the client's receive loop runs inline (a continuation with RunContinuationsAsynchronously off, a call callback)
/// that blocks the loop must not silently stop completions and timeouts: the watchdog ends the calls whose timers fired
/// with the blocked-loop error, which unblocks code waiting for them, and the client works again afterwards.
/// </summary>
public sealed class BlockedLoopTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(300);

    private readonly InMemoryTestNetwork _network = new(seed: 5);
    private readonly R2P2Server _server;

    public BlockedLoopTests() => _server = new R2P2Server(_network.Bind(), new EchoHandler());

    [Fact]
    public async Task Waiting_synchronously_for_a_call_inside_an_inline_continuation_ends_with_the_blocked_loop_error()
    {
        using var client = new R2P2Client(_network.Bind(), _server.LocalAddress, new R2P2ClientOptions { RunContinuationsAsynchronously = false, Timeout = Timeout });

        var outcome = Task.Run(() => RunOnTheReceiveLoop(client, () =>
        {
            // On the loop thread: this waits for a call only this thread could complete. The server answers, but the
            // loop cannot receive the answer while it waits here.
            using var second = client.CallAsync("second"u8.ToArray()).AsTask().GetAwaiter().GetResult();
            return 0;
        }));

        await Assert.ThrowsAsync<R2P2ReceiveLoopBlockedException>(() => outcome.WaitAsync(Payloads.Generous));
        Assert.Equal(1, client.Statistics.BlockedLoopDetections);
        Assert.Equal(1, client.Statistics.Timeouts);

        // Unblocked, the loop serves again.
        using var after = await client.CallAsync("after"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous);
        Assert.Equal("after"u8.ToArray(), Payloads.ToArray(after.Payload));
    }

    [Fact]
    public async Task The_blocked_loop_error_is_caught_by_code_that_catches_timeouts()
    {
        using var client = new R2P2Client(_network.Bind(), _server.LocalAddress, new R2P2ClientOptions { RunContinuationsAsynchronously = false, Timeout = Timeout });

        // What a retry loop, the load generator or the replicated client writes: only timeouts are expected.
        var caughtAsTimeout = Task.Run(() => RunOnTheReceiveLoop(client, () =>
        {
            try
            {
                using var second = client.CallAsync("second"u8.ToArray()).AsTask().GetAwaiter().GetResult();
                return (Exception?)null;
            }
            catch (R2P2TimeoutException timeout)
            {
                return timeout;
            }
        }));

        var caught = await caughtAsTimeout.WaitAsync(Payloads.Generous);
        Assert.IsType<R2P2ReceiveLoopBlockedException>(caught);
        Assert.Equal(1, client.Statistics.Timeouts);
    }

    [Fact]
    public void A_callback_waiting_for_another_call_gets_that_call_ended_as_ReceiveLoopBlocked()
    {
        using var client = new R2P2Client(_network.Bind(), _server.LocalAddress, new R2P2ClientOptions { Timeout = Timeout });
        using var inner = new WaitingCallback(client);

        Assert.True(client.TryCall("outer"u8.ToArray(), inner));

        Assert.True(inner.Done.Wait(Payloads.Generous), "the blocked callback never returned");
        Assert.Equal(R2P2CallStatus.Completed, inner.OuterStatus);
        Assert.Equal(R2P2CallStatus.ReceiveLoopBlocked, inner.InnerStatus);
        Assert.Equal(1, client.Statistics.BlockedLoopDetections);

        using var callback = new WaitingCallback(client, nested: false);
        Assert.True(client.TryCall("after"u8.ToArray(), callback));
        Assert.True(callback.Done.Wait(Payloads.Generous));
        Assert.Equal(R2P2CallStatus.Completed, callback.OuterStatus);
    }

    [Fact]
    public async Task A_slow_inline_continuation_fails_no_call_whose_timer_has_not_fired()
    {
        using var client = new R2P2Client(_network.Bind(), _server.LocalAddress, new R2P2ClientOptions { RunContinuationsAsynchronously = false, Timeout = Payloads.Generous });
        var patient = client.CallAsync("patient"u8.ToArray(), RoutingPolicy.LoadBalanced, Payloads.Generous).AsTask();

        var slow = Task.Run(() => RunOnTheReceiveLoop(client, () =>
        {
            Thread.Sleep(500); // busy, not deadlocked: several watchdog periods, no timer due
            return 0;
        }));

        await slow.WaitAsync(Payloads.Generous);
        using var response = await patient.WaitAsync(Payloads.Generous);
        Assert.Equal("patient"u8.ToArray(), Payloads.ToArray(response.Payload));
        Assert.Equal(0, client.Statistics.BlockedLoopDetections);
        Assert.Equal(0, client.Statistics.Timeouts);
    }

    public void Dispose() => _server.Dispose();

    /// <summary>
    /// Awaits calls until one resumes on the receive loop (a response can win the race and resume the caller inline),
    /// then runs the body there, in the same frame: awaiting a helper that resumed on the loop may itself resume
    /// elsewhere (seen: the thread pool), which would let the body run off the loop and prove nothing.
    /// </summary>
    private static async Task<T> RunOnTheReceiveLoop<T>(R2P2Client client, Func<T> body)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using (await client.CallAsync("first"u8.ToArray()))
            {
            }

            if (Thread.CurrentThread.Name?.StartsWith("R2P2 client", StringComparison.Ordinal) == true)
            {
                return body();
            }
        }

        Assert.Fail("no continuation ran on the receive loop");
        return default!;
    }

    /// <summary>On its call's end (on the loop), starts a second call and waits for it: only the loop could end it.</summary>
    private sealed class WaitingCallback(R2P2Client client, bool nested = true) : IR2P2CallCallback, IDisposable
    {
        private readonly ManualResetEventSlim _innerDone = new();

        public ManualResetEventSlim Done { get; } = new();

        public R2P2CallStatus OuterStatus { get; private set; }

        public R2P2CallStatus InnerStatus { get; private set; }

        public void OnCallCompleted(in R2P2CallCompletion completion)
        {
            if (completion.State is "inner")
            {
                InnerStatus = completion.Status;
                _innerDone.Set();
                return;
            }

            OuterStatus = completion.Status;
            if (nested)
            {
                Assert.True(client.TryCall("inner"u8.ToArray(), this, "inner"));
                _innerDone.Wait(Payloads.Generous);
            }

            Done.Set();
        }

        public void Dispose()
        {
            _innerDone.Dispose();
            Done.Dispose();
        }
    }
}
