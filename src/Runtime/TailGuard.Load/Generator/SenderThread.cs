using System;
using System.Diagnostics;
using System.Threading;
using TailGuard.Load.Timing;

namespace TailGuard.Load.Generator;

/// <summary>
/// One sending thread and the connections it owns. Open loop: each send is scheduled at the previous scheduled time
/// plus a gap drawn from the distribution, whatever happened to earlier requests; a thread that falls behind sends
/// at once (and its lateness is recorded), it never skips the schedule. Closed loop: keeps a fixed number of requests
/// in flight per connection, sending again as each completes. Open loop waits by sleeping precisely (no timer slack)
/// until <see cref="LoadGeneratorOptions.SenderSpin"/> before each send and spinning the rest, so the thread leaves its
/// core to the target and the receive loops between sends (docs/load.md, "The sending thread"). Requests it finds due
/// together (it woke late, or <see cref="LoadGeneratorOptions.SendWindow"/> held the first) leave in one
/// <see cref="LoadConnection.SendBatch"/> per connection, each keeping its own scheduled time (docs/load.md, "Batched sends").
/// </summary>
internal sealed class SenderThread : IDisposable
{
    private static readonly long s_longestSleep = Stopwatch.Frequency / 100; // 10 ms: a sleep re-checks the point's end this often

    private readonly ConnectionRunner[] _connections;
    private readonly ManualResetEventSlim _completed = new(false, spinCount: 50);
    private readonly int _index;
    private Thread? _thread;

    public SenderThread(int index, ConnectionRunner[] connections)
    {
        _index = index;
        _connections = connections;
        foreach (var connection in connections)
        {
            connection.Sender = this;
        }
    }

    public ConnectionRunner[] Connections => _connections;

    /// <summary>Starts sending on the open-loop schedule: this thread's share of the rate, from <paramref name="firstSend"/>.</summary>
    public void StartOpenLoop(PointRecorder recorder, double rate, long firstSend, int seed, LoadGeneratorOptions options)
    {
        var record = recorder.Threads[_index];
        record.Rate = rate;
        Start(() => OpenLoop(recorder, record, rate, firstSend, seed, options));
    }

    /// <summary>Starts a closed loop of <paramref name="depth"/> requests in flight per connection.</summary>
    public void StartClosedLoop(PointRecorder recorder, int depth)
    {
        var record = recorder.Threads[_index];
        Start(() => ClosedLoop(recorder, record, depth));
    }

    public void Join() => _thread?.Join();

    public void Dispose() => _completed.Dispose();

    public void OnCompletion()
    {
        if (!_completed.IsSet)
        {
            _completed.Set();
        }
    }

    private void Start(ThreadStart body)
    {
        _thread = new Thread(body) { IsBackground = true, Name = $"load sender {_index}", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    private void OpenLoop(PointRecorder recorder, ThreadRecord record, double rate, long firstSend, int seed, LoadGeneratorOptions options)
    {
        record.Begin(options.SenderPriority);
        var spinTicks = (long)(options.SenderSpin.TotalSeconds * Stopwatch.Frequency);
        var windowTicks = (long)(options.SendWindow.TotalSeconds * Stopwatch.Frequency);
        var random = new Random(seed);
        var meanTicks = Stopwatch.Frequency / rate;
        var distribution = options.Distribution;
        var stallTicks = (long)(options.SenderStall.TotalSeconds * Stopwatch.Frequency);
        var stallEvery = (long)(options.SenderStallInterval.TotalSeconds * Stopwatch.Frequency);
        var nextStall = stallTicks > 0 ? firstSend + stallEvery : long.MaxValue;
        var batch = new LoadRequest[options.MaxSendBatch];
        var next = (double)firstSend;
        var scheduled = NextScheduled(ref next, random, distribution, meanTicks);
        var turn = 0;
        try
        {
            while (scheduled < recorder.StopAt)
            {
                // The batch's first request is due at `scheduled`; a send window holds it that much longer to gather more.
                if (!WaitUntil(Math.Min(scheduled + windowTicks, recorder.StopAt - 1), spinTicks, recorder))
                {
                    return;
                }

                if (Stopwatch.GetTimestamp() >= nextStall)
                {
                    Thread.Sleep(options.SenderStall);
                    nextStall += stallEvery;
                }

                // Every request due by now goes to this batch's connection (sendmmsg is per socket); connections take
                // turns by batch. A full connection ends the batch: the next due request goes to the next connection.
                var connection = _connections[turn];
                turn = turn + 1 == _connections.Length ? 0 : turn + 1;
                var now = Stopwatch.GetTimestamp();
                var count = 0;
                do
                {
                    var rented = connection.TryRent(out var request);
                    if (rented)
                    {
                        request.ScheduledTimestamp = scheduled;
                        batch[count++] = request;
                    }
                    else if (scheduled >= recorder.WindowStart)
                    {
                        record.Skipped++;
                    }

                    scheduled = NextScheduled(ref next, random, distribution, meanTicks);
                    if (!rented)
                    {
                        break;
                    }
                }
                while (count < batch.Length && scheduled <= now && scheduled < recorder.StopAt);

                if (count > 0)
                {
                    SendDue(connection, batch.AsSpan(0, count), recorder, record);
                }
            }
        }
        finally
        {
            record.End();
        }
    }

    /// <summary>
    /// Sends the due requests of one connection: records each one's lateness and send time (all leave at once, at
    /// <c>actual</c>), then hands a lone request to <see cref="LoadConnection.Send"/> and several to
    /// <see cref="LoadConnection.SendBatch"/>.
    /// </summary>
    private static void SendDue(ConnectionRunner connection, Span<LoadRequest> due, PointRecorder recorder, ThreadRecord record)
    {
        var actual = Stopwatch.GetTimestamp();
        var batchedInWindow = 0;
        foreach (var request in due)
        {
            var scheduled = request.ScheduledTimestamp;
            var inWindow = scheduled >= recorder.WindowStart;
            if (inWindow)
            {
                batchedInWindow++;
                if (record.Sent == 0)
                {
                    record.AllocatedAtWindowStart = GC.GetAllocatedBytesForCurrentThread();
                }

                record.Sent++;
                record.Lateness.Record((long)ConnectionRunner.TicksToNanoseconds(actual - scheduled));
                record.SendTimes.Append(actual);
                record.ScheduledTimes.Append(scheduled);
            }

            Prepare(connection, request, scheduled, inWindow ? recorder : null, record);
        }

        if (due.Length == 1)
        {
            Send(connection, due[0]);
        }
        else
        {
            if (batchedInWindow > 0)
            {
                record.BatchedSends += batchedInWindow;
                record.Batches++;
            }

            try
            {
                connection.Connection.SendBatch(due);
            }
            catch (Exception)
            {
                // A connection that throws instead of completing: whatever it did not complete ends as a failure.
                foreach (var request in due)
                {
                    request.Complete(LoadOutcome.Failed);
                }
            }
        }

        due.Clear();
    }

    private void ClosedLoop(PointRecorder recorder, ThreadRecord record, int depth)
    {
        record.Begin(SenderPriority.Normal);
        try
        {
            while (true)
            {
                _completed.Reset();
                var now = Stopwatch.GetTimestamp();
                if (now >= recorder.StopAt)
                {
                    return;
                }

                var inWindow = now >= recorder.WindowStart;
                foreach (var connection in _connections)
                {
                    while (connection.InFlight < depth && connection.TryRent(out var request))
                    {
                        var sent = Stopwatch.GetTimestamp();
                        if (inWindow)
                        {
                            if (record.Sent == 0)
                            {
                                record.AllocatedAtWindowStart = GC.GetAllocatedBytesForCurrentThread();
                            }

                            record.Sent++;
                        }

                        Prepare(connection, request, sent, inWindow ? recorder : null, record);
                        Send(connection, request);
                    }
                }

                // Woken by the next completion; the timeout re-checks the stop time when nothing completes.
                _completed.Wait(10);
            }
        }
        finally
        {
            record.End();
        }
    }

    /// <summary>Readies a rented request for its send: its schedule, its sequence number and, when measured, its sample slot.</summary>
    private static void Prepare(ConnectionRunner connection, LoadRequest request, long scheduled, PointRecorder? recorder, ThreadRecord record)
    {
        request.ScheduledTimestamp = scheduled;
        request.Sequence = connection.NextSequence++;
        request.Recorder = recorder;
        request.Log = null;
        request.SampleIndex = -1;
        if (recorder is not null && connection.MeasuresLatency)
        {
            record.Measured++;
            var slot = record.Samples.Append();
            if (slot >= 0)
            {
                request.Log = record.Samples;
                request.SampleIndex = slot;
            }
        }
    }

    private static void Send(ConnectionRunner connection, LoadRequest request)
    {
        try
        {
            connection.Connection.Send(request);
        }
        catch (Exception)
        {
            // A connection that throws instead of completing: the request ends as a failure, the loop goes on.
            request.Complete(LoadOutcome.Failed);
        }
    }

    /// <summary>The next scheduled send: the previous scheduled time (kept unrounded in <paramref name="next"/>) plus a drawn gap.</summary>
    private static long NextScheduled(ref double next, Random random, InterArrivalDistribution distribution, double meanTicks)
    {
        next += Gap(random, distribution, meanTicks);
        return (long)next;
    }

    private static double Gap(Random random, InterArrivalDistribution distribution, double meanTicks)
        => distribution switch
        {
            InterArrivalDistribution.Exponential => -Math.Log(1 - random.NextDouble()) * meanTicks,
            InterArrivalDistribution.Uniform => 2 * random.NextDouble() * meanTicks,
            _ => meanTicks,
        };

    /// <summary>
    /// Waits for the scheduled time: sleeps (precisely, at most 10 ms at a time so the point's end is noticed) until
    /// <paramref name="spinTicks"/> before it, then spins. False when the point stops first.
    /// </summary>
    private static bool WaitUntil(long scheduled, long spinTicks, PointRecorder recorder)
    {
        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            var remaining = scheduled - now;
            if (remaining <= 0)
            {
                return true;
            }

            if (recorder.StopAt <= scheduled)
            {
                return false;
            }

            if (remaining > spinTicks)
            {
                PreciseWait.Until(Math.Min(scheduled - spinTicks, now + s_longestSleep));
            }
            else
            {
                Thread.SpinWait(8);
            }
        }
    }
}
