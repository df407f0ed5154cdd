using System;

namespace TailGuard.Replication.Replies;

/// <summary>
/// The leader's choice of replier for each new entry (docs/replication.md, "Repliers"): among live members, the one
/// with the fewest replies outstanding (entries assigned to it in this term that it has not yet reported handled),
/// below <c>MaxOutstandingReplies</c>, ties rotating so equal replicas share the work. Like JBSQ, the bound keeps every
/// replica's queue short: with every live member at the bound the leader has no replier and answers DROP.
/// </summary>
internal sealed class ReplierSelector
{
    private readonly object _sync = new();
    private readonly ClusterView _view;
    private readonly int _maxOutstanding;
    private readonly long[] _assigned;
    private readonly long[] _baseline;
    private readonly long[] _incarnation;
    private int _next;

    public ReplierSelector(ClusterView view, int maxOutstanding)
    {
        _view = view;
        _maxOutstanding = maxOutstanding;
        _assigned = new long[view.Members];
        _baseline = new long[view.Members];
        _incarnation = new long[view.Members];
    }

    /// <summary>A new term of leadership: count outstanding replies from what each member has handled so far.</summary>
    public void Reset()
    {
        lock (_sync)
        {
            for (var m = 0; m < _assigned.Length; m++)
            {
                _assigned[m] = 0;
                _baseline[m] = _view.Handled(m, out _incarnation[m]);
            }
        }
    }

    public int Outstanding(int member)
    {
        lock (_sync)
        {
            return OutstandingLocked(member);
        }
    }

    /// <summary>
    /// Picks and counts a replier for an entry of <paramref name="term"/>; false when every member that can reply
    /// (<see cref="ClusterView.CanReply"/>) is at the bound.
    /// </summary>
    public bool TryChoose(long now, long term, ReplyPolicy policy, out byte replier)
    {
        lock (_sync)
        {
            if (policy == ReplyPolicy.Leader)
            {
                replier = (byte)_view.Self;
                if (OutstandingLocked(_view.Self) >= _maxOutstanding * _view.Members)
                {
                    return false;
                }

                _assigned[_view.Self]++;
                return true;
            }

            var best = -1;
            var bestOutstanding = int.MaxValue;
            var members = _assigned.Length;
            for (var k = 0; k < members; k++)
            {
                var m = (_next + k) % members;
                if (!_view.CanReply(m, now, term))
                {
                    continue;
                }

                var outstanding = OutstandingLocked(m);
                if (outstanding < _maxOutstanding && outstanding < bestOutstanding)
                {
                    best = m;
                    bestOutstanding = outstanding;
                }
            }

            if (best < 0)
            {
                replier = 0;
                return false;
            }

            _next = (best + 1) % members;
            _assigned[best]++;
            replier = (byte)best;
            return true;
        }
    }

    private int OutstandingLocked(int member)
    {
        var handled = _view.Handled(member, out var incarnation);
        if (incarnation != _incarnation[member])
        {
            // The member restarted, or restored a snapshot and skipped entries it will never handle: it counts from 0
            // again, and what it was assigned before is forgotten (otherwise it would look busy forever).
            _incarnation[member] = incarnation;
            _baseline[member] = handled;
            _assigned[member] = 0;
        }

        var done = handled - _baseline[member];
        return (int)Math.Clamp(_assigned[member] - done, 0, int.MaxValue);
    }
}
