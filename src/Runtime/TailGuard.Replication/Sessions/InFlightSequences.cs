using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;

namespace TailGuard.Replication.Sessions;

/// <summary>
/// A replicated client's sequence numbers (docs/replication.md, "Exactly-once effects"): it hands out 1, 2, 3, ...
/// one per call (kept across that call's retries) and knows its floor, the lowest number still in flight, which every
/// request carries so the replicas can forget the responses below it. A ring of flags over the window from the floor
/// to the next number. The window is what the replicas keep per client, so it never grows: when the oldest call in
/// flight is a whole window behind, a new call waits for the floor to move. Every call in flight ends by its own
/// timeout, so the wait ends too (a lost call slows the client for one attempt timeout; it never wedges it).
/// Thread-safe.
/// </summary>
internal sealed class InFlightSequences
{
    private readonly object _sync = new();
    private readonly bool[] _inFlight;
    private long _next = 1;
    private long _floor = 1;
    private readonly ReplicatedClientStatistics _statistics;
    private TaskCompletionSource? _floorMoved;

    public InFlightSequences(int window, ReplicatedClientStatistics statistics)
    {
        _inFlight = new bool[window];
        _statistics = statistics;
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

    /// <summary>
    /// A new call's sequence number: at once while the window has room, otherwise once the calls ahead of it end
    /// (counted in <see cref="ReplicatedClientStatistics.WindowWaits"/>).
    /// </summary>
    /// <param name="timeout">How long the call may wait for room (its own timeout).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="R2P2TimeoutException">The window stayed full for <paramref name="timeout"/>.</exception>
    public ValueTask<long> BeginAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            if (TryTakeLocked(out var sequence))
            {
                return ValueTask.FromResult(sequence);
            }
        }

        _statistics.WindowWait();
        return WaitForRoomAsync(Stopwatch.GetTimestamp(), timeout, cancellationToken);
    }

    /// <summary>The call has its outcome (a response, or a failure the caller saw): the floor may move past it.</summary>
    public void End(long sequence)
    {
        TaskCompletionSource? moved = null;
        lock (_sync)
        {
            _inFlight[sequence % _inFlight.Length] = false;
            var floor = _floor;
            while (_floor < _next && !_inFlight[_floor % _inFlight.Length])
            {
                _floor++;
            }

            if (_floor != floor)
            {
                moved = _floorMoved;
                _floorMoved = null;
            }
        }

        moved?.SetResult();
    }

    private async ValueTask<long> WaitForRoomAsync(long started, TimeSpan timeout, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task moved;
            lock (_sync)
            {
                if (TryTakeLocked(out var sequence))
                {
                    return sequence;
                }

                moved = (_floorMoved ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            var remaining = timeout - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                throw new R2P2TimeoutException($"The call waited its whole timeout for room: the oldest replicated call in flight stayed {_inFlight.Length} calls (MaxInFlight) behind the newest.");
            }

            try
            {
                await moved.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Checked again at the top: the floor may have moved at the last moment.
            }
        }
    }

    private bool TryTakeLocked(out long sequence)
    {
        if (_next - _floor >= _inFlight.Length)
        {
            sequence = 0;
            return false;
        }

        sequence = _next++;
        _inFlight[sequence % _inFlight.Length] = true;
        return true;
    }
}
