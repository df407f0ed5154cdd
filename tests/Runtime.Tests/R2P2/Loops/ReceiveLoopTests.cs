using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Loops;

/// <summary>The receive loop every role shares: datagrams to the handler, queued sends as a batch, ticks, and no failure ends it.</summary>
public sealed class ReceiveLoopTests : IDisposable
{
    private readonly InMemoryNetwork _network = new();
    private readonly InMemoryTransport _transport;
    private readonly RawPeer _peer;

    public ReceiveLoopTests()
    {
        _transport = _network.Bind("10.0.0.1:1");
        _peer = new RawPeer(_network.Bind("10.0.0.2:1"));
    }

    [Fact]
    public void Each_datagram_reaches_the_handler_and_what_it_queues_leaves_after_the_batch()
    {
        var handler = new EchoingHandler();
        using var loop = Start(handler);

        _peer.Send(_transport.LocalAddress, [1, 2, 3]);
        var echo = _peer.Receive();

        Assert.Equal([1, 2, 3], echo.Bytes);
        Assert.Equal(_transport.LocalAddress, echo.Source);
    }

    [Fact]
    public void A_handler_that_throws_is_reported_and_the_loop_keeps_serving()
    {
        var handler = new EchoingHandler { ThrowOn = 13 };
        using var loop = Start(handler);

        _peer.Send(_transport.LocalAddress, [13]);
        _peer.Send(_transport.LocalAddress, [14]);

        Assert.Equal([14], _peer.Receive().Bytes);
        Assert.Single(handler.Errors);
        Assert.IsType<InvalidOperationException>(handler.Errors.Single());
    }

    [Fact]
    public void A_handler_whose_error_report_throws_as_well_still_does_not_end_the_loop()
    {
        var handler = new EchoingHandler { ThrowOn = 13, ThrowFromOnError = true };
        using var loop = Start(handler);

        _peer.Send(_transport.LocalAddress, [13]);
        _peer.Send(_transport.LocalAddress, [14]);

        Assert.Equal([14], _peer.Receive().Bytes);
    }

    [Fact]
    public void A_kept_buffer_belongs_to_the_handler_and_its_slot_gets_a_fresh_buffer()
    {
        var handler = new EchoingHandler { Keep = true };
        using var loop = Start(handler);

        for (byte i = 0; i < 5; i++)
        {
            _peer.Send(_transport.LocalAddress, [i]);
            Assert.Equal([i], _peer.Receive().Bytes);
        }

        var kept = handler.Kept.ToArray();
        Assert.Equal(5, kept.Length);
        Assert.Equal(5, new HashSet<PacketBuffer>(kept, ReferenceEqualityComparer.Instance).Count);
        Assert.Equal([0, 1, 2, 3, 4], Array.ConvertAll(kept, b => b.Span[0]));
    }

    [Fact]
    public void Ticks_run_without_traffic_and_stop_runs_the_handlers_cleanup_once_on_the_loop_thread()
    {
        var handler = new EchoingHandler();
        var loop = Start(handler, TimeSpan.FromMilliseconds(5));
        var deadline = DateTime.UtcNow + Payloads.Generous;
        while (Volatile.Read(ref handler.Ticks) < 3 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        loop.Stop();
        loop.Stop();

        Assert.True(handler.Ticks >= 3);
        Assert.Equal(1, handler.Stops);
        Assert.True(handler.StoppedOnLoopThread);
        Assert.Throws<InvalidOperationException>(loop.Start);
    }

    [Fact]
    public void Queueing_from_another_thread_is_refused()
    {
        using var loop = Start(new EchoingHandler());

        Assert.Throws<InvalidOperationException>(() => loop.Send(new PacketBuffer(8)));
    }

    [Fact]
    public void Bad_settings_are_refused_with_the_setting_named()
    {
        var error = Assert.Throws<ArgumentException>(() => new ReceiveLoop(_transport, new EchoingHandler(), new ReceiveLoopOptions { BatchSize = 0 }));
        Assert.Contains("BatchSize", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => new ReceiveLoop(_transport, new EchoingHandler(), new ReceiveLoopOptions { BufferSize = 70_000 }));
        Assert.Contains("BufferSize", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _peer.Dispose();
        _transport.Dispose();
    }

    private ReceiveLoop Start(EchoingHandler handler, TimeSpan? idleWait = null)
    {
        var loop = new ReceiveLoop(_transport, handler, new ReceiveLoopOptions { IdleWait = idleWait ?? TimeSpan.FromMilliseconds(50), ThreadName = "test loop" });
        handler.Loop = loop;
        loop.Start();
        return loop;
    }

    /// <summary>Echoes each datagram from a buffer rented from the transport (or the kept one itself).</summary>
    private sealed class EchoingHandler : IReceiveLoopHandler
    {
        public int Ticks;

        public ReceiveLoop? Loop { get; set; }

        public int? ThrowOn { get; init; }

        public bool ThrowFromOnError { get; init; }

        public bool Keep { get; init; }

        public ConcurrentQueue<Exception> Errors { get; } = new();

        public ConcurrentQueue<PacketBuffer> Kept { get; } = new();

        public int Stops { get; private set; }

        public bool StoppedOnLoopThread { get; private set; }

        public bool OnPacket(ReceiveLoop receiveLoop, PacketBuffer packet)
        {
            if (packet.Span[0] == ThrowOn)
            {
                throw new InvalidOperationException("handler bug");
            }

            var reply = receiveLoop.Transport.Rent(packet.Length);
            packet.Span.CopyTo(reply.Storage);
            reply.Length = packet.Length;
            reply.Address = packet.Address;
            receiveLoop.Send(reply);
            if (Keep)
            {
                Kept.Enqueue(packet);
            }

            return Keep;
        }

        public long OnTick(ReceiveLoop receiveLoop, long now)
        {
            Interlocked.Increment(ref Ticks);
            return long.MaxValue;
        }

        public void OnError(ReceiveLoop receiveLoop, Exception exception)
        {
            Errors.Enqueue(exception);
            if (ThrowFromOnError)
            {
                throw new InvalidOperationException("the error report failed too");
            }
        }

        public void OnStopping(ReceiveLoop receiveLoop)
        {
            Stops++;
            StoppedOnLoopThread = receiveLoop.IsLoopThread;
        }
    }
}
