using System;
using System.Diagnostics;
using TailGuard.Replication.Peers;
using TailGuard.Replication.Replies;

namespace TailGuard.Replication.Tests.Replies;

/// <summary>
/// The leader's choice of replier (docs/replication.md, "Repliers"): only a member that is live and has reported the
/// leader's current term is named, so a dead old leader, still live in the view for a while, answers nothing.
/// </summary>
public sealed class ReplierSelectorTests
{
    private static readonly long Second = Stopwatch.Frequency;

    [Fact]
    public void APeerLastHeardInAnOlderTermIsNotNamedUntilItReportsTheCurrentOne()
    {
        var view = new ClusterView(members: 3, self: 0, liveWindow: TimeSpan.FromSeconds(10));
        var repliers = new ReplierSelector(view, maxOutstanding: 8);
        view.Update(new PeerStatus(From: 1, Boot: 1, Term: 1, Applied: 5, LogIndex: 5, Handled: 0), now: Second); // the old leader
        view.Update(new PeerStatus(From: 2, Boot: 2, Term: 2, Applied: 5, LogIndex: 5, Handled: 0), now: Second);

        for (var i = 0; i < 6; i++)
        {
            Assert.True(repliers.TryChoose(2 * Second, term: 2, ReplyPolicy.Spread, out var replier));
            Assert.NotEqual(1, replier);
        }

        view.Update(new PeerStatus(From: 1, Boot: 1, Term: 2, Applied: 5, LogIndex: 5, Handled: 0), now: 2 * Second);
        var named = new bool[3];
        for (var i = 0; i < 6; i++)
        {
            Assert.True(repliers.TryChoose(2 * Second, term: 2, ReplyPolicy.Spread, out var replier));
            named[replier] = true;
        }

        Assert.True(named[1], "member 1 reported the current term, yet was never named");
    }

    [Fact]
    public void APeerNotHeardWithinTheLiveWindowIsNotNamed()
    {
        var view = new ClusterView(members: 2, self: 0, liveWindow: TimeSpan.FromSeconds(1));
        var repliers = new ReplierSelector(view, maxOutstanding: 8);
        view.Update(new PeerStatus(From: 1, Boot: 1, Term: 3, Applied: 0, LogIndex: 0, Handled: 0), now: 0);

        for (var i = 0; i < 4; i++)
        {
            Assert.True(repliers.TryChoose(2 * Second, term: 3, ReplyPolicy.Spread, out var replier));
            Assert.Equal(0, replier);
        }
    }
}
