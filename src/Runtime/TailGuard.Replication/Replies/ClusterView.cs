using System;
using TailGuard.Replication.Peers;

namespace TailGuard.Replication.Replies;

/// <summary>
/// What a replica knows of every member from their STATUS messages (and of itself directly): how far each applied,
/// how many entries each handled as replier, and when it last heard from each. From it come the durable index (applied
/// by a majority), the liveness of peers, and the followers' lag for flow control. Thread-safe.
/// </summary>
/// <remarks>
/// A peer is <em>live</em> when it was heard within the live window, and <em>active</em> when it is live and not
/// stalled: a live peer behind this replica whose applied index has not moved for the live window is stalled (its
/// STATUS still arrives, but it applies nothing: a replica wedged below the protocol). A stalled peer counts as failed
/// for flow control and for choosing repliers, as a dead one does, so one wedged follower cannot hold the cluster to its
/// pace forever; it counts again as soon as it applies something (docs/replication.md, "Flow control").
/// </remarks>
internal sealed class ClusterView
{
    private readonly object _sync = new();
    private readonly long[] _applied;
    private readonly long[] _handled;
    private readonly long[] _heardAt;
    private readonly long[] _progressAt; // when each peer's applied index last moved (or it came back)
    private readonly long[] _term;
    private readonly uint[] _boot;
    private readonly long[] _incarnations;
    private readonly long _liveTicks;

    public ClusterView(int members, int self, TimeSpan liveWindow)
    {
        Members = members;
        Self = self;
        _applied = new long[members];
        _handled = new long[members];
        _heardAt = new long[members];
        _term = new long[members];
        _boot = new uint[members];
        _incarnations = new long[members];
        _progressAt = new long[members];
        Array.Fill(_heardAt, long.MinValue / 2);
        Array.Fill(_progressAt, long.MinValue / 2);
        _liveTicks = (long)(liveWindow.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    }

    public int Members { get; }

    public int Self { get; }

    /// <summary>How many members make a majority.</summary>
    public int Majority => (Members / 2) + 1;

    public void Update(in PeerStatus status, long now)
    {
        if (status.From >= Members || status.From == Self)
        {
            return;
        }

        lock (_sync)
        {
            if (status.Boot != _boot[status.From])
            {
                // The peer restarted or restored a snapshot: what it said before no longer describes it.
                _boot[status.From] = status.Boot;
                _progressAt[status.From] = now;
                _incarnations[status.From]++;
                _applied[status.From] = 0;
                _handled[status.From] = 0;
                _term[status.From] = 0;
            }

            // Reports may arrive out of order: never move backwards within a term.
            var appliedBefore = _applied[status.From];
            if (status.Term >= _term[status.From])
            {
                _term[status.From] = status.Term;
                _applied[status.From] = Math.Max(_applied[status.From], status.Applied);
                _handled[status.From] = Math.Max(_handled[status.From], status.Handled);
            }

            // Progress: it applied something, it is not behind this replica, or it was not live (a window of its own).
            if (_applied[status.From] > appliedBefore || _applied[status.From] >= _applied[Self] || now - _heardAt[status.From] > _liveTicks)
            {
                _progressAt[status.From] = now;
            }

            _heardAt[status.From] = now;
        }
    }

    public void SetSelf(long applied, long handled)
    {
        lock (_sync)
        {
            _applied[Self] = applied;
            _handled[Self] = handled;
        }
    }

    /// <summary>
    /// Whether <paramref name="member"/> may reply for entries of <paramref name="term"/>: active (live and not stalled),
    /// and (a peer) heard reporting that term. A new leader's view still counts the old leader live for a while after it died; the old
    /// leader never reports the new term, so the entries ordered first in a term (the requests a new leader adopts)
    /// are not handed to it to answer.
    /// </summary>
    public bool CanReply(int member, long now, long term)
    {
        if (member == Self)
        {
            return true;
        }

        lock (_sync)
        {
            return IsActive(member, now) && _term[member] >= term;
        }
    }

    public long Applied(int member)
    {
        lock (_sync)
        {
            return _applied[member];
        }
    }

    /// <summary>
    /// How many entries <paramref name="member"/> handled as replier in its current incarnation, and which incarnation
    /// that is (it changes when the member restarts or restores a snapshot, and its count starts again).
    /// </summary>
    public long Handled(int member, out long incarnation)
    {
        lock (_sync)
        {
            incarnation = _incarnations[member];
            return _handled[member];
        }
    }

    /// <summary>A new incarnation of this replica itself (it restored a snapshot): its handled count starts again.</summary>
    public void NewSelfIncarnation()
    {
        lock (_sync)
        {
            _incarnations[Self]++;
            _handled[Self] = 0;
        }
    }

    /// <summary>The highest index a majority has applied (a member's last report stands for it: reports only grow).</summary>
    public long DurableIndex()
    {
        Span<long> values = stackalloc long[Members];
        lock (_sync)
        {
            _applied.CopyTo(values);
        }

        values.Sort();
        return values[Members - Majority];
    }

    /// <summary>The lowest applied index among active followers (long.MaxValue when none is active).</summary>
    public long SlowestActiveFollower(long now)
    {
        var slowest = long.MaxValue;
        lock (_sync)
        {
            for (var m = 0; m < Members; m++)
            {
                if (m != Self && IsActive(m, now))
                {
                    slowest = Math.Min(slowest, _applied[m]);
                }
            }
        }

        return slowest;
    }

    // Under the lock: heard within the live window, and either not behind this replica or applied something within it.
    private bool IsActive(int member, long now)
        => now - _heardAt[member] <= _liveTicks && (_applied[member] >= _applied[Self] || now - _progressAt[member] <= _liveTicks);
}
