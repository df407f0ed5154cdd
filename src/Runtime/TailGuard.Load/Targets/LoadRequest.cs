using System.Diagnostics;
using System.Threading;

namespace TailGuard.Load;

/// <summary>
/// One request of a load run, pooled by the generator (one pool per connection, as large as its in-flight limit). The
/// generator sets <see cref="ScheduledTimestamp"/> before <see cref="LoadConnection.Send"/>; the connection ends the
/// request with <see cref="Complete(LoadOutcome, long)"/> and must not touch it afterwards.
/// </summary>
public sealed class LoadRequest
{
    private readonly Generator.ConnectionRunner _owner;
    private int _completed;

    internal LoadRequest(Generator.ConnectionRunner owner) => _owner = owner;

    /// <summary>
    /// When the request was scheduled to leave (<see cref="Stopwatch.GetTimestamp"/> ticks). Latency is measured from
    /// here, not from when the generator got round to sending it, so the generator's own lateness is never hidden.
    /// </summary>
    public long ScheduledTimestamp { get; internal set; }

    /// <summary>The request's number on its connection, from 0 (useful to vary payloads).</summary>
    public long Sequence { get; internal set; }

    /// <summary>What <see cref="LoadConnection.CreateRequestState"/> made for this pooled request.</summary>
    public object? State { get; internal set; }

    internal Generator.PointRecorder? Recorder;
    internal Generator.ChunkedLog<double>? Log;
    internal int SampleIndex;

    /// <summary>Ends the request now (the receive timestamp is the monotonic clock at this call).</summary>
    /// <param name="outcome">How it ended.</param>
    public void Complete(LoadOutcome outcome) => Complete(outcome, Stopwatch.GetTimestamp(), endedByClock: true);

    /// <summary>Ends the request. A second completion of the same send is ignored.</summary>
    /// <param name="outcome">How it ended.</param>
    /// <param name="receiveTimestamp">When the response arrived, in <see cref="Stopwatch.GetTimestamp"/> ticks.</param>
    public void Complete(LoadOutcome outcome, long receiveTimestamp) => Complete(outcome, receiveTimestamp, endedByClock: false);

    private void Complete(LoadOutcome outcome, long receiveTimestamp, bool endedByClock)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        _owner.OnCompleted(this, outcome, receiveTimestamp, endedByClock);
    }

    /// <summary>Readies the pooled request for its next send.</summary>
    internal void Reset() => Volatile.Write(ref _completed, 0);
}
