using System;

namespace TailGuard.Replication.Sessions;

/// <summary>
/// A replicated client's sequence numbers (docs/replication.md, "Exactly-once effects"): it hands out 1, 2, 3, ...
/// one per call (kept across that call's retries) and knows its floor, the lowest number still in flight, which every
/// request carries so the replicas can forget the responses below it. A ring of flags over the window from the floor
/// to the next number; a call that stays in flight for a whole window's worth of newer calls stops new calls (they
/// throw) rather than let the window grow. Thread-safe.
/// </summary>
internal sealed class InFlightSequences
{
    private readonly object _sync = new();
    private readonly bool[] _inFlight;
    private long _next = 1;
    private long _floor = 1;

    public InFlightSequences(int window)
    {
        _inFlight = new bool[window];
    }

    public long Floor
    {
        get
        {
            lock (_sync)
            {
                return _floor;
            }
        }
    }

    /// <summary>A new call's sequence number, and the floor to send with it.</summary>
    /// <exception cref="InvalidOperationException">The oldest call in flight is a whole window behind.</exception>
    public long Begin()
    {
        lock (_sync)
        {
            if (_next - _floor >= _inFlight.Length)
            {
                throw new InvalidOperationException($"The replicated client has a call in flight {_inFlight.Length} calls older than the newest (MaxInFlight): wait for calls to finish.");
            }

            var sequence = _next++;
            _inFlight[sequence % _inFlight.Length] = true;
            return sequence;
        }
    }

    /// <summary>The call has its outcome (a response, or a failure the caller saw): the floor may move past it.</summary>
    public void End(long sequence)
    {
        lock (_sync)
        {
            _inFlight[sequence % _inFlight.Length] = false;
            while (_floor < _next && !_inFlight[_floor % _inFlight.Length])
            {
                _floor++;
            }
        }
    }
}
