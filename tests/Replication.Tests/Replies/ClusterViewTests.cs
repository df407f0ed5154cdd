using System;
using System.Diagnostics;
using TailGuard.Replication.Peers;
using TailGuard.Replication.Replies;

namespace TailGuard.Replication.Tests.Replies;

/// <summary>
/// Which followers count for flow control and repliers (docs/replication.md, "Flow control"): a live follower that keeps
/// applying counts however slow it is; one that is live but applies nothing for the live window while behind is
/// stalled and counts as failed, until it applies again; one caught up with nothing to apply is never stalled.
/// </summary>
public sealed class ClusterViewTests
{
    private static readonly long Second = Stopwatch.Frequency;

    [Fact]
    public void AFollowerThatAppliesNothingWhileBehindStopsCountingAndCountsAgainOnceItApplies()
    {
        var view = new ClusterView(members: 3, self: 0, liveWindow: TimeSpan.FromSeconds(1));
        var repliers = new ReplierSelector(view, maxOutstanding: 1000);
        view.SetSelf(applied: 100, handled: 0);
        view.Update(Status(from: 1, applied: 100), now: 0);
        view.Update(Status(from: 2, applied: 40), now: 0); // behind, and it will stay there

        // Both keep reporting (live) for 3 s; member 1 keeps up, member 2 never moves.
        for (var t = 1; t <= 30; t++)
        {
            var now = t * Second / 10;
            view.SetSelf(applied: 100 + t, handled: 0);
            view.Update(Status(from: 1, applied: 100 + t), now);
            view.Update(Status(from: 2, applied: 40), now);
        }

        var later = 3 * Second;
        Assert.Equal(130, view.SlowestActiveFollower(later)); // member 2 (at 40) no longer holds flow control
        Assert.False(view.CanReply(2, later, term: 1));
        for (var i = 0; i < 20; i++)
        {
            Assert.True(repliers.TryChoose(later, term: 1, ReplyPolicy.Spread, out var replier));
            Assert.NotEqual(2, replier);
        }

        // One entry applied: it counts again, lag and all.
        view.Update(Status(from: 2, applied: 41), later);
        Assert.Equal(41, view.SlowestActiveFollower(later));
        Assert.True(view.CanReply(2, later, term: 1));
    }

    [Fact]
    public void ASlowFollowerThatKeepsApplyingKeepsHoldingFlowControl()
    {
        var view = new ClusterView(members: 3, self: 0, liveWindow: TimeSpan.FromSeconds(1));
        view.SetSelf(applied: 1_000, handled: 0);
        view.Update(Status(from: 1, applied: 1_000), now: 0);

        // Member 2 applies one entry every 0.9 s (inside the window) and falls ever further behind.
        for (var t = 0; t <= 10; t++)
        {
            var now = t * 9 * Second / 10;
            view.SetSelf(applied: 1_000 + (100 * t), handled: 0);
            view.Update(Status(from: 1, applied: 1_000 + (100 * t)), now);
            view.Update(Status(from: 2, applied: 10 + t), now);
            Assert.Equal(10 + t, view.SlowestActiveFollower(now + (Second / 2)));
        }
    }

    [Fact]
    public void AFollowerCaughtUpWithNothingToApplyIsNeverStalled()
    {
        var view = new ClusterView(members: 3, self: 0, liveWindow: TimeSpan.FromSeconds(1));
        view.SetSelf(applied: 7, handled: 0);

        // An idle cluster: heartbeats for 10 s, nobody applies anything.
        for (var t = 0; t <= 100; t++)
        {
            view.Update(Status(from: 1, applied: 7), t * Second / 10);
            view.Update(Status(from: 2, applied: 7), t * Second / 10);
        }

        Assert.Equal(7, view.SlowestActiveFollower(10 * Second));
        Assert.True(view.CanReply(1, 10 * Second, term: 1));
        Assert.True(view.CanReply(2, 10 * Second, term: 1));
    }

    private static PeerStatus Status(byte from, long applied) => new(From: from, Boot: from, Term: 1, Applied: applied, LogIndex: applied, Handled: 0);
}
