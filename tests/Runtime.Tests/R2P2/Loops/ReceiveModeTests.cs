using System;
using System.Diagnostics;
using System.Threading;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Loops;

/// <summary>
/// How a receive loop waits, read from the waits it asks its transport for: busy polling never blocks, blocking always
/// does, and adaptive polls without blocking for its budget after each datagram (or KeepSpinning), then blocks.
/// </summary>
public sealed class ReceiveModeTests : IDisposable
{
    private readonly InMemoryNetwork _network = new();
    private readonly RecordingTransport _transport;
    private readonly RawPeer _peer;

    public ReceiveModeTests()
    {
        _transport = new RecordingTransport(_network.Bind("10.0.0.1:1"));
        _peer = new RawPeer(_network.Bind("10.0.0.2:1"));
    }

    [Fact]
    public void An_adaptive_loop_blocks_while_idle_spins_for_its_budget_after_a_datagram_then_blocks_again()
    {
        var budget = TimeSpan.FromMilliseconds(100);
        var handler = new CountingHandler();
        using var loop = Start(handler, ReceiveMode.Adaptive, budget);
        WaitFor(() => _transport.ReceiveCount >= 3, "three idle receives");

        _peer.Send(_transport.LocalAddress, [1]);
        var arrival = IndexOfDatagram();
        WaitFor(() => FirstBlockingAfter(arrival) >= 0, "a blocking receive after the spin");

        for (var i = 0; i < arrival; i++)
        {
            Assert.True(_transport.ReceiveAt(i).Timeout > 0, $"idle receive {i} did not block");
        }

        var blocking = FirstBlockingAfter(arrival);
        Assert.True(blocking > arrival + 1, "the loop blocked right after the datagram instead of spinning");
        for (var i = arrival + 1; i < blocking; i++)
        {
            Assert.Equal(0, _transport.ReceiveAt(i).Timeout);
        }

        // The loop blocks again only once the budget has passed since the datagram (a busy machine can only make it
        // later). Measured to the blocking receive, not the last polling one: a loop preempted after its last poll
        // decides to block after the budget although that poll came before it ended.
        var spun = TimeSpan.FromSeconds((double)(_transport.ReceiveAt(blocking).At - _transport.ReceiveAt(arrival).At) / Stopwatch.Frequency);
        Assert.True(spun >= budget - TimeSpan.FromMilliseconds(1), $"blocked {spun.TotalMilliseconds} ms into a {budget.TotalMilliseconds} ms budget");
        Assert.Equal(1, handler.Packets);
    }

    [Fact]
    public void An_adaptive_loop_with_a_zero_budget_blocks_right_after_each_datagram()
    {
        using var loop = Start(new CountingHandler(), ReceiveMode.Adaptive, TimeSpan.Zero);
        _peer.Send(_transport.LocalAddress, [1]);
        var arrival = IndexOfDatagram();
        WaitFor(() => _transport.ReceiveCount > arrival + 1, "a receive after the datagram");

        Assert.True(_transport.ReceiveAt(arrival + 1).Timeout > 0);
    }

    [Fact]
    public void KeepSpinning_from_another_thread_makes_an_idle_adaptive_loop_spin_without_a_datagram()
    {
        using var loop = Start(new CountingHandler(), ReceiveMode.Adaptive, TimeSpan.FromMilliseconds(200));
        WaitFor(() => _transport.ReceiveCount >= 2, "idle receives");
        var before = _transport.ReceiveCount;

        loop.KeepSpinning(Stopwatch.GetTimestamp());
        WaitFor(() => Polls(before) >= 10, "non-blocking receives after KeepSpinning");

        for (var i = 0; i < before; i++)
        {
            Assert.True(_transport.ReceiveAt(i).Timeout > 0);
        }
    }

    [Theory]
    [InlineData(ReceiveMode.BusyPoll)]
    [InlineData(ReceiveMode.Blocking)]
    public void Busy_polling_never_blocks_and_blocking_always_does(ReceiveMode mode)
    {
        var handler = new CountingHandler();
        using var loop = Start(handler, mode, TimeSpan.FromMilliseconds(100));
        WaitFor(() => _transport.ReceiveCount >= 3, "idle receives");
        _peer.Send(_transport.LocalAddress, [1]);
        var arrival = IndexOfDatagram();
        WaitFor(() => _transport.ReceiveCount >= arrival + 3, "receives after the datagram");

        var count = _transport.ReceiveCount;
        for (var i = 0; i < count; i++)
        {
            var timeout = _transport.ReceiveAt(i).Timeout;
            Assert.True(mode == ReceiveMode.BusyPoll ? timeout == 0 : timeout > 0, $"receive {i} waited {timeout} ms in {mode} mode");
        }
    }

    [Fact]
    public void A_spinning_loop_still_ticks_without_traffic()
    {
        var handler = new CountingHandler();
        using var loop = Start(handler, ReceiveMode.BusyPoll, TimeSpan.Zero);

        // Empty spinning rounds skip the tick, but timers must still run: at least every millisecond.
        WaitFor(() => Volatile.Read(ref handler.Ticks) >= 20, "ticks while spinning");
        Assert.True(loop.Iterations >= 20);
    }

    [Fact]
    public void Bad_modes_and_budgets_are_refused_naming_the_setting()
    {
        Assert.Contains("SpinBudget", Assert.Throws<ArgumentException>(() => new ReceiveLoop(_transport, new CountingHandler(), new ReceiveLoopOptions { SpinBudget = TimeSpan.FromTicks(-1) })).Message, StringComparison.Ordinal);
        Assert.Contains("SpinBudget", Assert.Throws<ArgumentException>(() => new ReceiveLoop(_transport, new CountingHandler(), new ReceiveLoopOptions { SpinBudget = TimeSpan.FromSeconds(2) })).Message, StringComparison.Ordinal);
        Assert.Contains("Mode", Assert.Throws<ArgumentException>(() => new ReceiveLoop(_transport, new CountingHandler(), new ReceiveLoopOptions { Mode = (ReceiveMode)7 })).Message, StringComparison.Ordinal);

        var client = _network.Bind("10.0.0.3:0");
        Assert.Contains("R2P2ClientOptions.SpinBudget", Assert.Throws<ArgumentException>(() => new R2P2Client(client, _transport.LocalAddress, new R2P2ClientOptions { SpinBudget = TimeSpan.FromSeconds(-1) })).Message, StringComparison.Ordinal);
        Assert.Contains("R2P2ClientOptions.ReceiveMode", Assert.Throws<ArgumentException>(() => new R2P2Client(client, _transport.LocalAddress, new R2P2ClientOptions { ReceiveMode = (ReceiveMode)9 })).Message, StringComparison.Ordinal);
        client.Dispose();
        var server = _network.Bind("10.0.0.4:0");
        Assert.Contains("R2P2ServerOptions.SpinBudget", Assert.Throws<ArgumentException>(() => new R2P2Server(server, new EchoHandler(), new R2P2ServerOptions { SpinBudget = TimeSpan.FromSeconds(5) })).Message, StringComparison.Ordinal);
        Assert.Contains("R2P2ServerOptions.ReceiveMode", Assert.Throws<ArgumentException>(() => new R2P2Server(server, new EchoHandler(), new R2P2ServerOptions { ReceiveMode = (ReceiveMode)9 })).Message, StringComparison.Ordinal);
        server.Dispose();
    }

    [Fact]
    public void Clients_servers_and_loops_default_to_adaptive_with_a_50_microsecond_budget()
    {
        Assert.Equal(ReceiveMode.Adaptive, new R2P2ClientOptions().ReceiveMode);
        Assert.Equal(ReceiveMode.Adaptive, new R2P2ServerOptions().ReceiveMode);
        Assert.Equal(ReceiveMode.Adaptive, new ReceiveLoopOptions().Mode);
        Assert.Equal(TimeSpan.FromMicroseconds(50), new R2P2ClientOptions().SpinBudget);
        Assert.Equal(TimeSpan.FromMicroseconds(50), new R2P2ServerOptions().SpinBudget);
        Assert.Equal(TimeSpan.FromMicroseconds(50), new ReceiveLoopOptions().SpinBudget);
    }

    public void Dispose()
    {
        _peer.Dispose();
        _transport.Dispose();
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Payloads.Generous;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what}: not seen in time.");
            Thread.Sleep(1);
        }
    }

    private ReceiveLoop Start(CountingHandler handler, ReceiveMode mode, TimeSpan budget)
    {
        var loop = new ReceiveLoop(_transport, handler, new ReceiveLoopOptions { Mode = mode, SpinBudget = budget, IdleWait = TimeSpan.FromMilliseconds(5) });
        loop.Start();
        return loop;
    }

    private int IndexOfDatagram()
    {
        var index = -1;
        WaitFor(
            () =>
            {
                var count = _transport.ReceiveCount;
                for (var i = 0; i < count; i++)
                {
                    if (_transport.ReceiveAt(i).Received > 0)
                    {
                        index = i;
                        return true;
                    }
                }

                return false;
            },
            "the datagram's receive");
        return index;
    }

    private int FirstBlockingAfter(int index)
    {
        var count = _transport.ReceiveCount;
        for (var i = index + 1; i < count; i++)
        {
            if (_transport.ReceiveAt(i).Timeout > 0)
            {
                return i;
            }
        }

        return -1;
    }

    private int Polls(int from)
    {
        var polls = 0;
        var count = _transport.ReceiveCount;
        for (var i = from; i < count; i++)
        {
            polls += _transport.ReceiveAt(i).Timeout == 0 ? 1 : 0;
        }

        return polls;
    }

    private sealed class CountingHandler : IReceiveLoopHandler
    {
        public int Ticks;
        private int _packets;

        public int Packets => Volatile.Read(ref _packets);

        public bool OnPacket(ReceiveLoop receiveLoop, PacketBuffer packet)
        {
            Interlocked.Increment(ref _packets);
            return false;
        }

        public long OnTick(ReceiveLoop receiveLoop, long now)
        {
            Interlocked.Increment(ref Ticks);
            return long.MaxValue;
        }

        public void OnError(ReceiveLoop receiveLoop, Exception exception)
        {
        }

        public void OnStopping(ReceiveLoop receiveLoop)
        {
        }
    }
}
