using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Routing;

/// <summary>
/// The router's decisions without any transport (docs/design/r2p2.md, "The router and JBSQ(n)" and conformance case 16):
/// requests and FEEDBACK in, forwards and DROPs out, time given by hand.
/// </summary>
public sealed class RouterSchedulerTests
{
    private static readonly long Second = Stopwatch.Frequency;
    private readonly RecordingOutput _output = new();
    private readonly R2P2RouterStatistics _statistics = new();

    [Theory]
    [InlineData(1, 3)]
    [InlineData(3, 7)]
    [InlineData(4, 4)]
    public void Case16_jbsq2_dispatches_exactly_2S_of_a_burst_queues_the_rest_and_each_feedback_releases_exactly_one(int servers, int extra)
    {
        var scheduler = Create(RouterPolicy.BoundedShortestQueue(2), servers);
        var burst = (2 * servers) + extra;
        for (var rid = 1; rid <= burst; rid++)
        {
            Request(scheduler, client: 1, (ushort)rid);
        }

        // Exactly 2S forwarded, the first S to S different (idle) servers, then each server's second credit.
        Assert.Equal(2 * servers, _output.Forwards.Count);
        Assert.Equal(servers, _output.Forwards.Take(servers).Select(f => f.Server).Distinct().Count());
        Assert.All(Members(servers), server => Assert.Equal(2, _output.Forwards.Count(f => f.Server == server)));
        Assert.Equal(extra, scheduler.QueueLength);
        Assert.Equal(extra, _statistics.Queued);
        Assert.Empty(_output.Replies);

        // Each FEEDBACK releases exactly one queued request, the oldest, to the server whose credit came back.
        var outstanding = new Queue<(PacketAddress Client, ushort Rid, PacketAddress Server)>(_output.Forwards);
        _output.Clear();
        var nextQueued = (ushort)((2 * servers) + 1);
        while (outstanding.Count > 0)
        {
            var done = outstanding.Dequeue();
            scheduler.OnFeedback(done.Server, done.Rid, done.Client, 0, _output);
            if (nextQueued <= burst)
            {
                var released = Assert.Single(_output.Forwards);
                Assert.Equal(nextQueued++, released.Rid);
                Assert.Equal(done.Server, released.Server);
                outstanding.Enqueue(released);
            }
            else
            {
                Assert.Empty(_output.Forwards);
            }

            _output.Clear();
        }

        Assert.Equal(0, scheduler.QueueLength);
        Assert.Equal(0, scheduler.OutstandingCount);
        Assert.Equal(burst, _statistics.Forwarded);
        Assert.Equal(burst, _statistics.Feedbacks);
    }

    [Fact]
    public void Jbsq_fills_idle_servers_first_then_the_one_with_the_most_free_credits()
    {
        var scheduler = Create(RouterPolicy.BoundedShortestQueue(3), 2);
        var (a, b) = (RouterWire.Host(1), RouterWire.Host(2));
        Request(scheduler, 1, 1);
        Request(scheduler, 1, 2);
        Assert.Equal(new[] { a, b }, _output.Forwards.Select(f => f.Server).Order(AddressOrder.Instance));

        Request(scheduler, 1, 3);
        Request(scheduler, 1, 4);
        Assert.Equal(2, _output.Forwards.Count(f => f.Server == a));
        Assert.Equal(2, _output.Forwards.Count(f => f.Server == b));

        // a gets a credit back: it has 2 free against b's 1, so the next request goes to a.
        var first = _output.Forwards.First(f => f.Server == a);
        scheduler.OnFeedback(a, first.Rid, first.Client, 0, _output);
        _output.Clear();
        Request(scheduler, 1, 5);
        Assert.Equal(a, Assert.Single(_output.Forwards).Server);
    }

    [Fact]
    public void Feedback_from_an_address_that_is_not_a_server_is_ignored_counted_and_remembered()
    {
        var scheduler = Create(RouterPolicy.BoundedShortestQueue(1), 1);
        Request(scheduler, 1, 1);
        Request(scheduler, 1, 2);
        var stranger = RouterWire.Host(66, 4444);

        scheduler.OnFeedback(stranger, 1, Client(1), 0, _output);

        Assert.Equal(1, _statistics.UnknownFeedbacks);
        Assert.Equal(0, _statistics.Feedbacks);
        Assert.Equal(stranger, scheduler.LastUnknownFeedbackSource);
        Assert.Equal(1, scheduler.QueueLength); // no credit came back
        Assert.Single(_output.Forwards);
    }

    [Fact]
    public void A_flood_of_feedback_from_a_server_for_requests_it_does_not_have_cannot_raise_its_credits()
    {
        var scheduler = Create(RouterPolicy.BoundedShortestQueue(1), 1);
        var server = RouterWire.Host(1);
        Request(scheduler, 1, 1);
        Request(scheduler, 1, 2);
        _output.Clear();

        var random = new Random(5);
        for (var i = 0; i < 10_000; i++)
        {
            var rid = (ushort)random.Next(2, 65536);
            scheduler.OnFeedback(server, rid, Client(random.Next(1, 1000)), 0, _output);
        }

        // The same FEEDBACK twice: only the first returns a credit.
        scheduler.OnFeedback(server, 1, Client(1), 0, _output);
        scheduler.OnFeedback(server, 1, Client(1), 0, _output);

        Assert.Equal(10_001, _statistics.UnmatchedFeedbacks);
        Assert.Equal(1, _statistics.Feedbacks);
        Assert.Equal(2, Assert.Single(_output.Forwards).Rid);
        Assert.Equal(1, scheduler.OutstandingCount);
    }

    [Fact]
    public void A_full_queue_answers_the_12_byte_drop_to_the_client_on_the_servers_behalf()
    {
        var scheduler = Create(RouterPolicy.BoundedShortestQueue(1), 1, new R2P2RouterOptions { QueueCapacity = 2 });
        for (ushort rid = 1; rid <= 4; rid++)
        {
            Request(scheduler, 7, rid);
        }

        Assert.Single(_output.Forwards);
        Assert.Equal(2, scheduler.QueueLength);
        var (client, bytes) = Assert.Single(_output.Replies);
        Assert.Equal(Client(7), client);
        Assert.Equal(new byte[] { 0xCC, 0x08, 0x41, 0xC0, 0x00, 0x04, 0x00, 0x01, (byte)'D', (byte)'R', (byte)'O', (byte)'P' }, bytes);
        Assert.Equal(1, _statistics.QueueFullDrops);
        Assert.Equal(1, _statistics.Drops);
    }

    [Fact]
    public void A_queue_of_capacity_zero_refuses_every_request_that_finds_no_credit()
    {
        var scheduler = Create(RouterPolicy.BoundedShortestQueue(1), 2, new R2P2RouterOptions { QueueCapacity = 0 });
        for (ushort rid = 1; rid <= 3; rid++)
        {
            Request(scheduler, 1, rid);
        }

        Assert.Equal(2, _output.Forwards.Count);
        Assert.Equal(3, RidOf(Assert.Single(_output.Replies).Bytes));
    }

    [Fact]
    public void The_router_adds_up_each_queued_requests_wait_and_each_credits_time_away_until_its_feedback()
    {
        // JBSQ(1), one server: 1 is forwarded at 0 and 2 queued at 0; 1's FEEDBACK at 3 ms forwards 2 after 3 ms in the
        // queue; 3 arrives at 4 ms and queues; 2's FEEDBACK at 10 ms forwards 3 after 6 ms; 3's FEEDBACK comes at 11 ms.
        var ms = Second / 1000;
        var server = Members(1)[0];
        var scheduler = Create(RouterPolicy.BoundedShortestQueue(1), 1);
        Request(scheduler, 1, 1, now: 0);
        Request(scheduler, 1, 2, now: 0);
        scheduler.OnFeedback(server, 1, Client(1), 3 * ms, _output);
        Request(scheduler, 1, 3, now: 4 * ms);
        scheduler.OnFeedback(server, 2, Client(1), 10 * ms, _output);
        scheduler.OnFeedback(server, 3, Client(1), 11 * ms, _output);

        Assert.Equal(3, _statistics.Feedbacks);
        Assert.Equal(TimeSpan.FromMilliseconds(3 + 7 + 1), _statistics.FeedbackTime); // 0->3, 3->10, 10->11
        Assert.Equal(2, _statistics.ForwardedFromQueue);
        Assert.Equal(TimeSpan.FromMilliseconds(3 + 6), _statistics.QueueTime);

        // FEEDBACK that returns no credit adds no time.
        scheduler.OnFeedback(server, 3, Client(1), 50 * ms, _output);
        Assert.Equal(TimeSpan.FromMilliseconds(11), _statistics.FeedbackTime);
    }

    [Fact]
    public void A_request_queued_longer_than_the_queue_timeout_is_answered_drop()
    {
        var scheduler = Create(RouterPolicy.BoundedShortestQueue(1), 1, new R2P2RouterOptions { QueueTimeout = TimeSpan.FromMilliseconds(200), FeedbackTimeout = TimeSpan.FromSeconds(10) });
        Request(scheduler, 1, 1, now: 0);
        Request(scheduler, 1, 2, now: 0);
        Request(scheduler, 1, 3, now: Second / 10);

        var next = scheduler.Expire(Second / 10, _output);
        Assert.Empty(_output.Replies);
        Assert.Equal(Second / 5, next); // the oldest queued request is due at 200 ms

        scheduler.Expire(Second / 5, _output);
        Assert.Equal(2, RidOf(Assert.Single(_output.Replies).Bytes));
        Assert.Equal(1, scheduler.QueueLength);
        Assert.Equal(1, _statistics.QueueTimeoutDrops);
    }

    [Fact]
    public void A_silent_server_is_evicted_its_credits_reclaimed_and_the_queue_goes_to_the_others()
    {
        var scheduler = Create(RouterPolicy.BoundedShortestQueue(1), 2, new R2P2RouterOptions { QueueTimeout = TimeSpan.FromSeconds(10) });
        var (a, b) = (RouterWire.Host(1), RouterWire.Host(2));
        for (ushort rid = 1; rid <= 4; rid++)
        {
            Request(scheduler, 1, rid, now: 0);
        }

        var onB = _output.Forwards.Single(f => f.Server == b);
        var onA = _output.Forwards.Single(f => f.Server == a);
        _output.Clear();

        // b answers at 0.5 s and takes the next queued request; a never answers.
        scheduler.OnFeedback(b, onB.Rid, onB.Client, Second / 2, _output);
        Assert.Equal(b, Assert.Single(_output.Forwards).Server);
        _output.Clear();

        Assert.Equal(Second, scheduler.Expire(Second - 1, _output)); // a's request is due at 1 s
        Assert.Empty(_output.Forwards);
        scheduler.Expire(Second, _output);

        Assert.Equal(1, _statistics.Evictions);
        Assert.Equal(1, _statistics.ReclaimedCredits);
        Assert.Equal(1, scheduler.MemberCount);
        var evicted = new List<PacketAddress>();
        scheduler.TakeEvicted(evicted);
        Assert.Equal(new[] { a }, evicted);
        Assert.Empty(_output.Forwards); // b is busy: the last request still waits

        // a's late FEEDBACK is from a stranger now; b's next FEEDBACK releases the last queued request to b.
        scheduler.OnFeedback(a, onA.Rid, onA.Client, Second, _output);
        Assert.Equal(1, _statistics.UnknownFeedbacks);
        scheduler.OnFeedback(b, 3, Client(1), Second, _output);
        var last = Assert.Single(_output.Forwards);
        Assert.Equal(((ushort)4, b), (last.Rid, last.Server));
    }

    [Fact]
    public void A_request_lost_on_a_live_server_reclaims_only_its_credit()
    {
        var scheduler = Create(RouterPolicy.BoundedShortestQueue(2), 1);
        Request(scheduler, 1, 1, now: 0);
        Request(scheduler, 1, 2, now: 0);
        scheduler.OnFeedback(RouterWire.Host(1), 2, Client(1), Second / 2, _output);

        scheduler.Expire(Second + 1, _output); // rid 1 never got its FEEDBACK, but the server spoke after it left

        Assert.Equal(1, _statistics.ReclaimedCredits);
        Assert.Equal(0, _statistics.Evictions);
        Assert.Equal(1, scheduler.MemberCount);
        Assert.Equal(0, scheduler.OutstandingCount);
    }

    [Fact]
    public void Removing_the_last_server_answers_drop_to_every_queued_request()
    {
        var scheduler = Create(RouterPolicy.BoundedShortestQueue(1), 1);
        for (ushort rid = 1; rid <= 3; rid++)
        {
            Request(scheduler, 1, rid);
        }

        Assert.True(scheduler.Remove(RouterWire.Host(1), _output));
        Assert.False(scheduler.Remove(RouterWire.Host(1), _output));

        Assert.Equal(new ushort[] { 2, 3 }, _output.Replies.Select(r => RidOf(r.Bytes)));
        Assert.Equal(2, _statistics.NoServerDrops);
        Assert.Equal(1, _statistics.ReclaimedCredits);
        Assert.Equal(0, scheduler.OutstandingCount);

        _output.Clear();
        Request(scheduler, 1, 4);
        Assert.Equal(4, RidOf(Assert.Single(_output.Replies).Bytes));
    }

    [Fact]
    public void A_server_added_at_run_time_takes_queued_requests_at_once()
    {
        var scheduler = Create(RouterPolicy.BoundedShortestQueue(2), 1);
        for (ushort rid = 1; rid <= 5; rid++)
        {
            Request(scheduler, 1, rid);
        }

        _output.Clear();
        var added = RouterWire.Host(9);
        Assert.True(scheduler.Add(added, 0, _output));
        Assert.False(scheduler.Add(added, 0, _output));

        Assert.Equal(new ushort[] { 3, 4 }, _output.Forwards.Select(f => f.Rid));
        Assert.All(_output.Forwards, f => Assert.Equal(added, f.Server));
        Assert.Equal(1, scheduler.QueueLength);
    }

    [Fact]
    public void Fixed_requests_go_to_the_fixed_server_whatever_its_credits_and_use_them()
    {
        var fixedServer = RouterWire.Host(2);
        var scheduler = Create(RouterPolicy.BoundedShortestQueue(1), 2, new R2P2RouterOptions { FixedServer = fixedServer });
        for (ushort rid = 1; rid <= 3; rid++)
        {
            Request(scheduler, 1, rid, policy: RoutingPolicy.Fixed);
        }

        Assert.All(_output.Forwards, f => Assert.Equal(fixedServer, f.Server));
        Assert.Equal(3, _output.Forwards.Count);
        _output.Clear();

        Request(scheduler, 1, 10);
        Request(scheduler, 1, 11);
        Assert.Equal(RouterWire.Host(1), Assert.Single(_output.Forwards).Server); // the fixed server has no LB credit left
        Assert.Equal(1, scheduler.QueueLength);

        // Its FEEDBACK for a FIXED request matches and returns a credit like any other.
        scheduler.OnFeedback(fixedServer, 1, Client(1), 0, _output);
        Assert.Equal(1, _statistics.Feedbacks);
    }

    [Fact]
    public void The_fixed_policy_sends_load_balanced_requests_to_the_fixed_server_too()
    {
        var scheduler = Create(RouterPolicy.Fixed, 3);
        for (ushort rid = 1; rid <= 5; rid++)
        {
            Request(scheduler, 1, rid);
        }

        Assert.All(_output.Forwards, f => Assert.Equal(RouterWire.Host(1), f.Server)); // the first server by default
        Assert.Equal(5, _output.Forwards.Count);
    }

    [Fact]
    public void Without_a_server_a_request_is_answered_drop()
    {
        var scheduler = Create(RouterPolicy.BoundedShortestQueue(2), 0);
        Request(scheduler, 1, 1);
        Request(scheduler, 1, 2, policy: RoutingPolicy.Fixed);

        Assert.Equal(2, _output.Replies.Count);
        Assert.Equal(2, _statistics.NoServerDrops);
        Assert.Null(scheduler.FixedServer);
    }

    [Fact]
    public void A_router_started_without_servers_makes_the_first_one_added_its_fixed_server_for_good()
    {
        var scheduler = Create(RouterPolicy.Fixed, 0);
        scheduler.Add(RouterWire.Host(7), 0, _output);
        scheduler.Add(RouterWire.Host(3), 0, _output);
        Request(scheduler, 1, 1);
        Assert.Equal(RouterWire.Host(7), Assert.Single(_output.Forwards).Server);
        Assert.Equal(RouterWire.Host(7), scheduler.FixedServer);

        // Away, it stays the fixed server: FIXED requests are refused rather than sent elsewhere, and it gets them back.
        scheduler.Remove(RouterWire.Host(7), _output);
        Request(scheduler, 1, 2);
        Assert.Equal(1, _statistics.NoServerDrops);
        scheduler.Add(RouterWire.Host(7), 0, _output);
        Request(scheduler, 1, 3);
        Assert.Equal(RouterWire.Host(7), _output.Forwards[^1].Server);
    }

    [Fact]
    public void Round_robin_takes_the_servers_in_turn_whatever_their_queues()
    {
        var scheduler = Create(RouterPolicy.RoundRobin, 3);
        for (ushort rid = 1; rid <= 9; rid++)
        {
            Request(scheduler, 1, rid);
        }

        var servers = _output.Forwards.Select(f => f.Server).ToArray();
        Assert.Equal(3, servers.Take(3).Distinct().Count());
        Assert.Equal(servers.Take(3), servers.Skip(3).Take(3));
        Assert.Equal(servers.Take(3), servers.Skip(6));
        Assert.Equal(0, scheduler.QueueLength);
    }

    [Fact]
    public void Random_spreads_over_every_server_and_repeats_with_the_same_seed()
    {
        PacketAddress[] Run()
        {
            var output = new RecordingOutput();
            var scheduler = new RouterScheduler(new R2P2RouterOptions { Policy = RouterPolicy.Random, Servers = Members(4), Seed = 42 }, new R2P2RouterStatistics(), 0);
            for (ushort rid = 1; rid <= 4000; rid++)
            {
                scheduler.OnRequest(RouterWire.Received(Client(1), rid), RoutingPolicy.LoadBalanced, rid, 0, output);
            }

            return output.Forwards.Select(f => f.Server).ToArray();
        }

        var first = Run();
        Assert.All(Members(4), server => Assert.InRange(first.Count(s => s == server), 850, 1150));
        Assert.Equal(first, Run());
    }

    [Fact]
    public void Jsq_sends_at_once_to_the_server_with_the_fewest_outstanding_without_a_bound()
    {
        var scheduler = Create(RouterPolicy.ShortestQueue, 2);
        var (a, b) = (RouterWire.Host(1), RouterWire.Host(2));
        for (ushort rid = 1; rid <= 6; rid++)
        {
            Request(scheduler, 1, rid);
        }

        Assert.Equal(3, _output.Forwards.Count(f => f.Server == a));
        Assert.Equal(3, _output.Forwards.Count(f => f.Server == b));
        Assert.Equal(0, scheduler.QueueLength);

        foreach (var done in _output.Forwards.Where(f => f.Server == b).ToArray())
        {
            scheduler.OnFeedback(b, done.Rid, done.Client, 0, _output);
        }

        _output.Clear();
        for (ushort rid = 7; rid <= 9; rid++)
        {
            Request(scheduler, 1, rid);
        }

        Assert.All(_output.Forwards, f => Assert.Equal(b, f.Server));
    }

    [Fact]
    public void Beyond_the_outstanding_limit_an_unbounded_policy_answers_drop()
    {
        var scheduler = Create(RouterPolicy.RoundRobin, 2, new R2P2RouterOptions { MaxOutstanding = 3 });
        for (ushort rid = 1; rid <= 4; rid++)
        {
            Request(scheduler, 1, rid);
        }

        Assert.Equal(3, _output.Forwards.Count);
        Assert.Equal(4, RidOf(Assert.Single(_output.Replies).Bytes));
        Assert.Equal(1, _statistics.OutstandingLimitDrops);
    }

    [Fact]
    public void A_client_reusing_a_tracked_rid_replaces_the_earlier_request_whose_credit_is_reclaimed()
    {
        var scheduler = Create(RouterPolicy.BoundedShortestQueue(2), 1);
        Request(scheduler, 1, 1);
        Request(scheduler, 1, 1);

        Assert.Equal(2, _output.Forwards.Count);
        Assert.Equal(1, scheduler.OutstandingCount);
        Assert.Equal(1, _statistics.ReclaimedCredits);
        scheduler.OnFeedback(RouterWire.Host(1), 1, Client(1), 0, _output);
        Assert.Equal(0, scheduler.OutstandingCount);
    }

    [Fact]
    public void Invalid_settings_are_refused_with_the_setting_named()
    {
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => Create(RouterPolicy.Random, 0, new R2P2RouterOptions { Servers = [RouterWire.Host(1), RouterWire.Host(1)] })).Message, StringComparison.Ordinal);
        Assert.Contains("not a server address", Assert.Throws<ArgumentException>(() => Create(RouterPolicy.Random, 0, new R2P2RouterOptions { Servers = [PacketAddress.Parse("[::]:9000")] })).Message, StringComparison.Ordinal);
        Assert.Contains("FixedServer", Assert.Throws<ArgumentException>(() => Create(RouterPolicy.Random, 1, new R2P2RouterOptions { FixedServer = RouterWire.Host(5) })).Message, StringComparison.Ordinal);
        Assert.Contains("QueueCapacity", Assert.Throws<ArgumentException>(() => Create(RouterPolicy.Random, 1, new R2P2RouterOptions { QueueCapacity = -1 })).Message, StringComparison.Ordinal);
        Assert.Contains("FeedbackTimeout", Assert.Throws<ArgumentException>(() => Create(RouterPolicy.Random, 1, new R2P2RouterOptions { FeedbackTimeout = TimeSpan.Zero })).Message, StringComparison.Ordinal);
        Assert.Contains("port", Assert.Throws<ArgumentException>(() => Create(RouterPolicy.Random, 0, new R2P2RouterOptions { Servers = [RouterWire.Host(1, 0)] })).Message, StringComparison.Ordinal);
    }

    private static PacketAddress Client(int client) => RouterWire.Host(100 + client, 5000);

    private static PacketAddress[] Members(int count) => Enumerable.Range(1, count).Select(i => RouterWire.Host(i)).ToArray();

    private static ushort RidOf(byte[] datagram) => (ushort)((datagram[4] << 8) | datagram[5]);

    private RouterScheduler Create(RouterPolicy policy, int servers, R2P2RouterOptions? settings = null)
    {
        settings ??= new R2P2RouterOptions();
        var options = new R2P2RouterOptions
        {
            Policy = policy,
            Servers = settings.Servers.Count > 0 ? settings.Servers : Members(servers),
            FixedServer = settings.FixedServer,
            QueueCapacity = settings.QueueCapacity,
            QueueTimeout = settings.QueueTimeout,
            FeedbackTimeout = settings.FeedbackTimeout,
            MaxOutstanding = settings.MaxOutstanding,
            Seed = 1,
        };
        return new RouterScheduler(options, _statistics, 0);
    }

    private void Request(RouterScheduler scheduler, int client, ushort rid, long now = 0, RoutingPolicy policy = RoutingPolicy.LoadBalanced)
        => scheduler.OnRequest(RouterWire.Received(Client(client), rid, policy == RoutingPolicy.Fixed ? Wire.RequestFixed : Wire.Request), policy, rid, now, _output);

    private sealed class AddressOrder : IComparer<PacketAddress>
    {
        public static readonly AddressOrder Instance = new();

        public int Compare(PacketAddress x, PacketAddress y) => x.IPv4.CompareTo(y.IPv4);
    }
}
