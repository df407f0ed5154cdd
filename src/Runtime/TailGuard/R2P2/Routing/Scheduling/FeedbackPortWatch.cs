namespace TailGuard.R2P2.Routing;

/// <summary>
/// What the router knows about its FEEDBACK port's receive queue, so that a silent server is told from a lost FEEDBACK
/// (docs/router.md, "What FEEDBACK does"): when it last saw the queue's drop count rise (a FEEDBACK may be among the
/// dropped), and up to when everything that reached the port has been read. The loop that reads FEEDBACK reports at most
/// once a millisecond (<see cref="Observe"/>); the schedulers judge silences by it. Under the router's lock.
/// </summary>
internal sealed class FeedbackPortWatch
{
    /// <summary>Never: older than any timestamp.</summary>
    public const long Never = long.MinValue;

    private readonly R2P2RouterStatistics _statistics;
    private long _drops;

    /// <param name="drops">The port's drop count when the router starts (what it dropped before is none of its business).</param>
    /// <param name="statistics">Where the drops seen are counted.</param>
    public FeedbackPortWatch(long drops, R2P2RouterStatistics statistics)
    {
        _drops = drops;
        _statistics = statistics;
    }

    /// <summary>
    /// When the router last saw the drop count rise (a Stopwatch timestamp), or <see cref="Never"/>: every datagram the
    /// port dropped was dropped before this, so a request forwarded after it whose FEEDBACK is missing was not lost there.
    /// </summary>
    public long LossSeenAt { get; private set; } = Never;

    /// <summary>
    /// Every datagram that reached the port before this time has been read (its FEEDBACK counted) or dropped and seen
    /// in <see cref="LossSeenAt"/>; <see cref="Never"/> until the loop first empties the port.
    /// </summary>
    public long DrainedThrough { get; private set; } = Never;

    /// <summary>One round of the FEEDBACK loop, after its datagrams were handled.</summary>
    /// <param name="drops">The port's drop count, read after the round's receive.</param>
    /// <param name="emptiedSince">The round's receive took everything waiting, and it began after this time; <see cref="Never"/> when it did not empty the queue.</param>
    /// <param name="now">The time the count was read.</param>
    public void Observe(long drops, long emptiedSince, long now)
    {
        if (drops > _drops)
        {
            _statistics.FeedbackPortDrop(drops - _drops);
            _drops = drops;
            LossSeenAt = now;
        }

        if (emptiedSince > DrainedThrough)
        {
            DrainedThrough = emptiedSince;
        }
    }
}
