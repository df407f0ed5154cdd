using System;
using System.Diagnostics;
using System.Threading;

namespace TailGuard.R2P2;

/// <summary>
/// The one receive loop every R2P2 role runs on (client, server, router): a dedicated thread that receives batches from
/// a <see cref="PacketTransport"/> into buffers rented from it, hands each datagram to an <see cref="IReceiveLoopHandler"/>,
/// sends what the handler queued as one batch, and ticks the handler's timers. It waits as <see cref="ReceiveMode"/>
/// says (spinning, or blocking no longer than the handler's next deadline), never lets one datagram's failure end the
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
    private int _outgoingCount;
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

    /// <summary>How many times the loop has gone round (each sample of <see cref="AllocatedBytes"/>).</summary>
    public long Iterations => Interlocked.Read(ref _iterations);

    /// <summary>Whether the calling thread is the loop's thread.</summary>
    public bool IsLoopThread => Thread.CurrentThread == _thread;

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
        try
        {
            while (!_stopping)
            {
                var received = Receive(buffers, WaitMilliseconds(nextDeadline));
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

                Guarded(static loop => loop.Flush());
                nextDeadline = Tick();
                Interlocked.Exchange(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread());
                Interlocked.Increment(ref _iterations);
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

    private int WaitMilliseconds(long nextDeadline)
    {
        if (_options.Mode == ReceiveMode.BusyPoll)
        {
            return 0;
        }

        if (nextDeadline == long.MaxValue)
        {
            return _idleWaitMilliseconds;
        }

        var ms = (nextDeadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
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

    private long Tick()
    {
        try
        {
            return _handler.OnTick(this, Stopwatch.GetTimestamp());
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
