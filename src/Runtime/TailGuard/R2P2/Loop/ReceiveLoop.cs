using System;
using System.Diagnostics;
using System.Threading;

namespace TailGuard.R2P2;

/// <summary>
/// The one receive loop every R2P2 role runs on (client, server, router): a dedicated thread that receives batches from
/// a <see cref="PacketTransport"/> into buffers rented from it, hands each datagram to an <see cref="IReceiveLoopHandler"/>,
/// sends what the handler queued as one batch, and ticks the handler's timers. It waits as <see cref="ReceiveMode"/>
/// says (spinning; spinning for a budget after each datagram, then blocking; or blocking, never longer than the
/// handler's next deadline), never lets one datagram's failure end the
/// thread, and samples its own allocations so tests and benchmarks can prove a steady state allocates nothing.
/// </summary>
public sealed class ReceiveLoop : IDisposable
{
    private readonly PacketTransport _transport;
    private readonly IReceiveLoopHandler _handler;
    private readonly ReceiveLoopOptions _options;
    private readonly PacketBuffer[] _outgoing;
    private readonly Thread _thread;
    private readonly int _idleWaitMilliseconds;
    private readonly long _spinBudgetTicks;
    private readonly long _tickIntervalTicks;
    private int _outgoingCount;
    private long _spinUntil;
    private long _allocatedBytes;
    private long _iterations;
    private volatile bool _stopping;
    private int _started;

    /// <summary>Creates a loop (not started).</summary>
    /// <param name="transport">Where datagrams come from and go to.</param>
    /// <param name="handler">The role that processes them.</param>
    /// <param name="options">Settings; defaults when null.</param>
    public ReceiveLoop(PacketTransport transport, IReceiveLoopHandler handler, ReceiveLoopOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(handler);
        _options = options ?? new ReceiveLoopOptions();
        _options.Validate(transport);
        _transport = transport;
        _handler = handler;
        _outgoing = new PacketBuffer[Math.Max(_options.BatchSize * 2, 16)];
        _idleWaitMilliseconds = (int)Math.Ceiling(_options.IdleWait.TotalMilliseconds);
        _spinBudgetTicks = (long)(_options.SpinBudget.TotalSeconds * Stopwatch.Frequency);
        _tickIntervalTicks = Stopwatch.Frequency / 1000;
        _thread = new Thread(Run) { IsBackground = true, Name = _options.ThreadName };
    }

    /// <summary>The transport the loop runs on.</summary>
    public PacketTransport Transport => _transport;

    /// <summary>The loop's settings.</summary>
    public ReceiveLoopOptions Options => _options;

    /// <summary>
    /// Bytes the loop thread has allocated since it started (<see cref="GC.GetAllocatedBytesForCurrentThread"/>, sampled
    /// after each batch).
    /// </summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    /// <summary>
    /// How many rounds of work the loop has done (each a sample of <see cref="AllocatedBytes"/>): every round that
    /// received datagrams, and every timer tick, which comes at least every <see cref="ReceiveLoopOptions.IdleWait"/>
    /// (every millisecond while the loop spins). Empty spinning rounds are not counted.
    /// </summary>
    public long Iterations => Interlocked.Read(ref _iterations);

    /// <summary>Whether the calling thread is the loop's thread.</summary>
    public bool IsLoopThread => Thread.CurrentThread == _thread;

    /// <summary>
    /// In <see cref="ReceiveMode.Adaptive"/> mode, keeps the loop polling without blocking for its spin budget from
    /// <paramref name="now"/>, because a datagram is expected soon: a client calls it when a request leaves, so the
    /// response finds the loop spinning rather than asleep. Any thread; costs two memory accesses. The loop does it
    /// itself after every datagram. No effect in the other modes, or on a loop already asleep (the next datagram wakes it).
    /// </summary>
    /// <param name="now">The current <see cref="Stopwatch.GetTimestamp"/>.</param>
    public void KeepSpinning(long now)
    {
        var until = now + _spinBudgetTicks;
        if (until > Volatile.Read(ref _spinUntil))
        {
            Volatile.Write(ref _spinUntil, until); // a racing, slightly earlier write only shortens one spin
        }
    }

    /// <summary>Starts the loop thread.</summary>
    /// <exception cref="InvalidOperationException">The loop was started before.</exception>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("A receive loop starts once.");
        }

        _thread.Start();
    }

    /// <summary>Stops the loop and waits for its thread to end (unless called on it). Idempotent.</summary>
    public void Stop()
    {
        _stopping = true;
        if (!IsLoopThread && _thread.IsAlive)
        {
            _thread.Join();
        }
    }

    /// <inheritdoc cref="Stop"/>
    public void Dispose() => Stop();

    /// <summary>
    /// Queues a datagram to send with the rest of this batch (on the loop thread only; a full queue is sent at once).
    /// The loop takes ownership of the buffer.
    /// </summary>
    /// <param name="packet">The datagram, addressed.</param>
    /// <exception cref="InvalidOperationException">Called from another thread (use <see cref="PacketTransport.Send"/> there).</exception>
    public void Send(PacketBuffer packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        if (!IsLoopThread)
        {
            throw new InvalidOperationException("ReceiveLoop.Send queues from the loop thread only; other threads send through the transport.");
        }

        if (_outgoingCount == _outgoing.Length)
        {
            Flush();
        }

        _outgoing[_outgoingCount++] = packet;
    }

    /// <summary>Sends what is queued now (the loop does this after every batch).</summary>
    public void Flush()
    {
        if (_outgoingCount == 0)
        {
            return;
        }

        var count = _outgoingCount;
        _outgoingCount = 0;
        try
        {
            _transport.Send(_outgoing.AsSpan(0, count)); // takes ownership of every buffer, even when it throws
        }
        finally
        {
            Array.Clear(_outgoing, 0, count);
        }
    }

    private void Run()
    {
        var buffers = new PacketBuffer[_options.BatchSize];
        for (var i = 0; i < buffers.Length; i++)
        {
            buffers[i] = _transport.Rent(_options.BufferSize);
        }

        var nextDeadline = long.MaxValue;
        var nextTick = 0L; // the first round ticks
        var now = Stopwatch.GetTimestamp();
        try
        {
            while (!_stopping)
            {
                var received = Receive(buffers, WaitMilliseconds(now, nextDeadline));
                if (received < 0)
                {
                    break; // the transport was closed under the loop
                }

                for (var i = 0; i < received; i++)
                {
                    if (Process(buffers[i]))
                    {
                        buffers[i] = _transport.Rent(_options.BufferSize);
                    }
                }

                FlushGuarded();

                // One clock read a round: it decides the wait, the spin and whether the timers are due. An empty spinning
                // round does nothing else (no tick, no allocation sample), so a datagram waits as little as possible.
                now = Stopwatch.GetTimestamp();
                if (received > 0)
                {
                    KeepSpinning(now);
                }

                if (received > 0 || now >= nextDeadline || now >= nextTick)
                {
                    nextDeadline = Tick(now);
                    nextTick = now + _tickIntervalTicks;
                    FlushGuarded(); // what the tick queued (a router's or a role's timers) leaves now, not a round later
                    Interlocked.Exchange(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread());
                    Interlocked.Increment(ref _iterations);
                }
            }
        }
        finally
        {
            Guarded(static loop => loop._handler.OnStopping(loop));
            Guarded(static loop => loop.Flush());
            foreach (var buffer in buffers)
            {
                buffer.Return();
            }
        }
    }

    private void FlushGuarded()
    {
        if (_outgoingCount == 0)
        {
            return;
        }

        try
        {
            Flush();
        }
#pragma warning disable CA1031 // Sending failures are reported, never fatal.
        catch (Exception error)
#pragma warning restore CA1031
        {
            Report(error);
        }
    }

    /// <summary>How long the next receive may wait: 0 polls (busy polling, or an adaptive loop within its spin budget).</summary>
    private int WaitMilliseconds(long now, long nextDeadline)
    {
        switch (_options.Mode)
        {
            case ReceiveMode.BusyPoll:
                return 0;
            case ReceiveMode.Adaptive when now < Volatile.Read(ref _spinUntil):
                return 0;
        }

        if (nextDeadline == long.MaxValue)
        {
            return _idleWaitMilliseconds;
        }

        var ms = (nextDeadline - now) * 1000 / Stopwatch.Frequency;
        return (int)Math.Clamp(ms + 1, 1, _idleWaitMilliseconds);
    }

    /// <summary>Receives a batch; -1 when the transport is closed, 0 after a receive failure (reported; the loop goes on).</summary>
    private int Receive(PacketBuffer[] buffers, int timeout)
    {
        try
        {
            return _transport.Receive(buffers, timeout);
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
#pragma warning disable CA1031 // A failing receive must not end the thread (and with it the process).
        catch (Exception error)
#pragma warning restore CA1031
        {
            Report(error);
            Thread.Sleep(1); // a persistent failure must not spin a core
            return 0;
        }
    }

    /// <summary>One datagram; a defect in processing it is reported and the loop goes on (it must not end the process).</summary>
    private bool Process(PacketBuffer packet)
    {
        try
        {
            return _handler.OnPacket(this, packet);
        }
#pragma warning disable CA1031 // Deliberately broad: see the summary.
        catch (Exception error)
#pragma warning restore CA1031
        {
            Report(error);
            return false;
        }
    }

    private long Tick(long now)
    {
        try
        {
            return _handler.OnTick(this, now);
        }
#pragma warning disable CA1031 // A failing timer must not end the thread.
        catch (Exception error)
#pragma warning restore CA1031
        {
            Report(error);
            return long.MaxValue;
        }
    }

    private void Guarded(Action<ReceiveLoop> action)
    {
        try
        {
            action(this);
        }
#pragma warning disable CA1031 // Sending and cleanup failures are reported, never fatal.
        catch (Exception error)
#pragma warning restore CA1031
        {
            Report(error);
        }
    }

    private void Report(Exception error)
    {
        if (_stopping && error is ObjectDisposedException)
        {
            return; // the transport closed while stopping
        }

        try
        {
            _handler.OnError(this, error);
        }
#pragma warning disable CA1031 // A failing error report must not end the thread either.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
