using System;
using System.Diagnostics;
using System.Threading;

namespace TailGuard.Load.Generator;

/// <summary>
/// The generator's side of one connection: its pool of requests (as many as its in-flight limit, created on first
/// use with the connection's own per-request state) and what a completion does with the outcome.
/// </summary>
internal sealed class ConnectionRunner
{
    private readonly object _sync = new();
    private readonly LoadRequest[] _free;
    private int _freeCount;
    private int _created;

    public ConnectionRunner(LoadConnection connection, bool measuresLatency, int maxInFlight)
    {
        Connection = connection;
        MeasuresLatency = measuresLatency;
        _free = new LoadRequest[maxInFlight];
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

    public void OnCompleted(LoadRequest request, LoadOutcome outcome, long receiveTimestamp)
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
