using System;
using System.Diagnostics;
using System.Threading;

namespace TailGuard.Load.Generator;

/// <summary>
/// The generator's side of one connection: its pool of requests (at most its in-flight limit, each with the
/// connection's own per-request state) and what a completion does with the outcome. The pool is filled ahead of the
/// sending thread (<see cref="Prepare"/>, on creation and by the controller a few times a second), so a send takes a
/// pooled request and allocates nothing; it creates one itself only when the controller fell behind a burst.
/// </summary>
internal sealed class ConnectionRunner
{
    private readonly object _sync = new();
    private readonly LoadRequest[] _free;
    private int _freeCount;
    private int _created;

    /// <summary>Requests created up front per connection (or its in-flight limit, when smaller).</summary>
    private const int Prefilled = 256;

    public ConnectionRunner(LoadConnection connection, bool measuresLatency, int maxInFlight)
    {
        Connection = connection;
        MeasuresLatency = measuresLatency;
        _free = new LoadRequest[maxInFlight];
        Fill(Math.Min(Prefilled, maxInFlight));
    }

    public LoadConnection Connection { get; }

    public bool MeasuresLatency { get; }

    /// <summary>The sending thread that owns this connection (woken by completions in a closed loop).</summary>
    public SenderThread? Sender { get; set; }

    /// <summary>The next request's sequence number; only the owning sending thread touches it.</summary>
    public long NextSequence { get; set; }

    public int InFlight
    {
        get
        {
            lock (_sync)
            {
                return _created - _freeCount;
            }
        }
    }

    /// <summary>
    /// Grows the pool before the sending thread needs to: when fewer than a quarter of the requests created are free,
    /// as many again (up to the in-flight limit). Any thread but the sending one.
    /// </summary>
    public void Prepare()
    {
        int more;
        lock (_sync)
        {
            more = _freeCount < _created / 4 ? Math.Min(_created, _free.Length - _created) : 0;
        }

        Fill(more);
    }

    private void Fill(int count)
    {
        for (var i = 0; i < count; i++)
        {
            lock (_sync)
            {
                if (_created == _free.Length)
                {
                    return;
                }

                _created++;
            }

            var request = new LoadRequest(this);
            request.State = Connection.CreateRequestState(request);
            lock (_sync)
            {
                _free[_freeCount++] = request;
            }
        }
    }

    /// <summary>Takes a request from the pool; false when the in-flight limit is reached. Called by the owning thread only.</summary>
    public bool TryRent(out LoadRequest request)
    {
        lock (_sync)
        {
            if (_freeCount > 0)
            {
                request = _free[--_freeCount];
                _free[_freeCount] = null!;
                request.Reset();
                return true;
            }

            if (_created == _free.Length)
            {
                request = null!;
                return false;
            }

            _created++;
        }

        request = new LoadRequest(this);
        request.State = Connection.CreateRequestState(request);
        return true;
    }

    /// <summary>
    /// Ends a request: counts its outcome and writes its latency sample. <paramref name="endedByClock"/>: the connection
    /// gave no receive time, so the sample ends at this call (<see cref="LoadRequest.Complete(LoadOutcome)"/>).
    /// </summary>
    public void OnCompleted(LoadRequest request, LoadOutcome outcome, long receiveTimestamp, bool endedByClock)
    {
        var recorder = request.Recorder;
        if (recorder is not null)
        {
            recorder.Count(outcome);
            if (request.Log is { } log && request.SampleIndex >= 0)
            {
                var latency = outcome == LoadOutcome.Ok
                    ? Math.Max(1, TicksToNanoseconds(receiveTimestamp - request.ScheduledTimestamp))
                    : double.PositiveInfinity;
                Volatile.Write(ref log.Slot(request.SampleIndex), latency);
                if (outcome == LoadOutcome.Ok)
                {
                    recorder.CountSampleEnd(endedByClock);
                }
            }
        }

        request.Recorder = null;
        request.Log = null;
        lock (_sync)
        {
            _free[_freeCount++] = request;
        }

        Sender?.OnCompletion();
    }

    public static double TicksToNanoseconds(long ticks) => ticks * (1_000_000_000.0 / Stopwatch.Frequency);
}
