using System;
using System.Diagnostics;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;

namespace TailGuard.Tests.R2P2.Routing;

/// <summary>
/// How the scheduler judges a server that sent no FEEDBACK since a request left, when it knows what its FEEDBACK port
/// dropped and read (docs/router.md, "What FEEDBACK does"): evicted only on silence the router has seen whole. Time and
/// the port's state are given by hand.
/// </summary>
public sealed class SilenceJudgmentTests
{
    private static readonly long Second = Stopwatch.Frequency;
    private readonly RecordingOutput _output = new();
    private readonly R2P2RouterStatistics _statistics = new();
    private readonly FeedbackPortWatch _watch;
    private readonly PacketAddress _server = RouterWire.Host(1);
    private readonly PacketAddress _client = RouterWire.Host(100, 5000);

    public SilenceJudgmentTests() => _watch = new FeedbackPortWatch(0, _statistics);

    [Fact]
    public void A_silence_during_which_the_feedback_port_dropped_datagrams_reclaims_the_credit_and_evicts_no_one()
    {
        var scheduler = Create();
        Request(scheduler, 1, now: 0);
        Request(scheduler, 2, now: 0); // waits for the one credit
        _watch.Observe(drops: 5, emptiedSince: Second / 2, now: Second / 2); // the port overflowed after rid 1 left

        scheduler.Expire(Second, _output);

        Assert.Equal(0, _statistics.Evictions);
        Assert.Equal(1, _statistics.EvictionsWithheld);
        Assert.Equal(5, _statistics.FeedbackPortDrops);
        Assert.Equal(1, _statistics.ReclaimedCredits);
        Assert.Equal(1, scheduler.MemberCount);
        Assert.Equal(((ushort)2, _server), (_output.Forwards[^1].Rid, _output.Forwards[^1].Server)); // the reclaimed credit takes the queued request
    }

    [Fact]
    public void A_silence_is_judged_only_once_the_feedback_port_was_read_through_its_deadline()
    {
        var scheduler = Create();
        Request(scheduler, 1, now: 0);
        _watch.Observe(drops: 0, emptiedSince: Second - 1, now: Second); // read through just before the deadline

        // Its FEEDBACK may still wait in the port: the request keeps its credit, and the timer looks again soon.
        var next = scheduler.Expire(Second, _output);
        Assert.InRange(next, Second + 1, Second + (Second / 100));
        Assert.Equal(0, _statistics.ReclaimedCredits);
        Assert.Equal(1, scheduler.OutstandingCount);

        // It did: read after the deadline, it still returns the credit, and the server is not judged.
        Assert.True(scheduler.OnFeedback(_server, 1, _client, Second + 10, _output));
        Assert.Equal(1, _statistics.Feedbacks);
        _watch.Observe(drops: 0, emptiedSince: Second + 20, now: Second + 30);
        scheduler.Expire(Second + 30, _output);
        Assert.Equal(0, _statistics.Evictions + _statistics.EvictionsWithheld + _statistics.ReclaimedCredits);

        // A request whose deadline the port was read through, losing nothing, without FEEDBACK: its server is dead.
        Request(scheduler, 2, now: 2 * Second);
        _watch.Observe(drops: 0, emptiedSince: 3 * Second, now: 3 * Second);
        scheduler.Expire(3 * Second, _output);
        Assert.Equal(1, _statistics.Evictions);
        Assert.Equal(0, scheduler.MemberCount);
    }

    [Fact]
    public void A_dead_server_is_evicted_at_the_deadline_of_the_first_request_it_takes_after_the_port_stops_dropping()
    {
        var scheduler = Create();
        Request(scheduler, 1, now: 0);
        _watch.Observe(drops: 1, emptiedSince: Second / 2, now: Second / 2);
        _watch.Observe(drops: 1, emptiedSince: Second, now: Second);
        scheduler.Expire(Second, _output); // excused: the flood may have taken its FEEDBACK
        Assert.Equal((0, 1), (_statistics.Evictions, _statistics.EvictionsWithheld));

        // The flood is over: the next request's silence is seen whole.
        Request(scheduler, 2, now: Second);
        _watch.Observe(drops: 1, emptiedSince: 2 * Second, now: 2 * Second);
        scheduler.Expire(2 * Second, _output);

        Assert.Equal((1, 1), (_statistics.Evictions, _statistics.EvictionsWithheld));
        Assert.Equal(0, scheduler.MemberCount);
    }

    [Fact]
    public void A_port_never_read_through_the_deadline_excuses_the_silence_one_feedback_timeout_later()
    {
        var scheduler = Create();
        Request(scheduler, 1, now: 0);
        _watch.Observe(drops: 0, emptiedSince: FeedbackPortWatch.Never, now: Second); // a backlog that never empties

        scheduler.Expire((2 * Second) - 1, _output);
        Assert.Equal(1, scheduler.OutstandingCount);

        scheduler.Expire(2 * Second, _output);
        Assert.Equal(0, scheduler.OutstandingCount);
        Assert.Equal((0, 1, 1), (_statistics.Evictions, _statistics.EvictionsWithheld, _statistics.ReclaimedCredits));
        Assert.Equal(1, scheduler.MemberCount);
    }

    private RouterScheduler Create()
        => new(new R2P2RouterOptions { Servers = [_server], Policy = RouterPolicy.BoundedShortestQueue(1), FeedbackTimeout = TimeSpan.FromSeconds(1), QueueTimeout = TimeSpan.FromMinutes(1) }, _statistics, 0, watch: _watch);

    private void Request(RouterScheduler scheduler, ushort rid, long now)
        => scheduler.OnRequest(RouterWire.Received(_client, rid), RoutingPolicy.LoadBalanced, rid, now, _output);
}
