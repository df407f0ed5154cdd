using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Sockets;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2.Routing;

/// <summary>
/// The router's decisions without I/O (docs/design/r2p2.md, "The router and JBSQ(n)"; docs/router.md): which server a
/// request goes to, when it waits in the central FIFO, when the router answers DROP on the servers' behalf, which
/// FEEDBACK returns which credit, when a credit is reclaimed and a silent server evicted, and who the members are.
/// Requests in, <see cref="IRouterOutput"/> calls out. Single-threaded: the router calls it under one lock from its loops
/// and from membership changes. Allocates nothing per request once built (members are allocated when they join).
/// A dual-stack router has one per address family (<see cref="RouterPools"/>).
/// </summary>
internal sealed class RouterScheduler
{
    private const int None = -1;
    private readonly RouterPolicy _policy;
    private readonly R2P2RouterStatistics _statistics;
    private readonly bool _fixedElsewhere; // the named fixed server is of the other family: this pool has none
    private PacketAddress? _fixedServer;
    private readonly RouterMember?[] _slots;
    private readonly int[] _freeSlots;
    private readonly int[] _active;
    private readonly Dictionary<PacketAddress, int> _byAddress;
    private readonly OutstandingRequests _outstanding;
    private readonly CentralQueue _queue;
    private readonly Random _random;
    private readonly long _feedbackTimeout;
    private readonly long _queueTimeout;
    private readonly List<PacketAddress> _evicted = [];
    private readonly FeedbackPortWatch? _watch;
    private readonly long _recheck = Math.Max(1, Stopwatch.Frequency / 1000);
    private int _freeSlotCount;
    private int _activeCount;
    private int _turn;

    /// <param name="options">The settings (checked here).</param>
    /// <param name="statistics">Where the counts go (shared by a router's pools).</param>
    /// <param name="now">The time, as a Stopwatch timestamp.</param>
    /// <param name="family">The address family of this pool: only servers of it join from <see cref="R2P2RouterOptions.Servers"/>, and a named fixed server of the other family leaves it without one; null takes them all.</param>
    /// <param name="watch">What the router knows of its FEEDBACK port's losses and reads; null when its transport cannot tell, and a silent server is then evicted at its request's deadline.</param>
    public RouterScheduler(R2P2RouterOptions options, R2P2RouterStatistics statistics, long now, AddressFamily? family = null, FeedbackPortWatch? watch = null)
    {
        _watch = watch;
        options.Validate();
        _policy = options.Policy;
        _statistics = statistics;
        _fixedServer = options.FixedServer is { } named && (family is null || named.AddressFamily == family) ? named : null; // or the first server to join (Join)
        _fixedElsewhere = options.FixedServer is not null && _fixedServer is null;
        _slots = new RouterMember?[options.MaxServers];
        _freeSlots = new int[options.MaxServers];
        for (var i = 0; i < _freeSlots.Length; i++)
        {
            _freeSlots[i] = _freeSlots.Length - 1 - i;
        }

        _freeSlotCount = _freeSlots.Length;
        _active = new int[options.MaxServers];
        _byAddress = new Dictionary<PacketAddress, int>(options.MaxServers);
        _outstanding = new OutstandingRequests(options.MaxOutstanding);
        _queue = new CentralQueue(_policy.QueuesAtRouter ? options.QueueCapacity : 0);
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
        _feedbackTimeout = Ticks(options.FeedbackTimeout);
        _queueTimeout = Ticks(options.QueueTimeout);
        foreach (var server in options.Servers)
        {
            if (family is null || server.AddressFamily == family)
            {
                Join(server);
            }
        }
    }

    /// <summary>Requests waiting in the central FIFO.</summary>
    public int QueueLength => _queue.Count;

    /// <summary>Forwarded requests awaiting FEEDBACK.</summary>
    public int OutstandingCount => _outstanding.Count;

    public int MemberCount => _activeCount;

    /// <summary>Where FIXED requests go: the one named, else the first server to join; null until one joins.</summary>
    public PacketAddress? FixedServer => _fixedServer;

    /// <summary>The source of the last FEEDBACK from an address that is not a member.</summary>
    public PacketAddress? LastUnknownFeedbackSource { get; private set; }

    /// <summary>Servers evicted since <see cref="TakeEvicted"/> last ran (the driver reports them outside the lock).</summary>
    public bool HasEvicted => _evicted.Count > 0;

    /// <summary>Adds a server; false when it is already a member. A new member's credits take queued requests at once.</summary>
    public bool Add(PacketAddress server, long now, IRouterOutput output)
    {
        R2P2RouterOptions.CheckServer(server, "server");
        if (_byAddress.ContainsKey(server))
        {
            return false;
        }

        if (_freeSlotCount == 0)
        {
            throw new InvalidOperationException($"The router already has {_slots.Length} servers ({nameof(R2P2RouterOptions)}.{nameof(R2P2RouterOptions.MaxServers)}).");
        }

        Join(server);
        DispatchQueued(now, output);
        return true;
    }

    /// <summary>
    /// Removes a server; false when it is not a member. Its outstanding requests stop being tracked (their credits are
    /// reclaimed; a late FEEDBACK from it counts as unknown). When no server is left, the queued requests are refused.
    /// </summary>
    public bool Remove(PacketAddress server, IRouterOutput output)
    {
        if (!_byAddress.TryGetValue(server, out var slot))
        {
            return false;
        }

        Leave(slot, output);
        return true;
    }

    /// <summary>The members and their state, in slot order.</summary>
    public RouterServerStatus[] Snapshot(long now)
    {
        var servers = new RouterServerStatus[_activeCount];
        for (var i = 0; i < _activeCount; i++)
        {
            var member = _slots[_active[i]]!;
            TimeSpan? silence = member.LastFeedback == RouterMember.NeverHeard ? null : Stopwatch.GetElapsedTime(member.LastFeedback, now);
            servers[i] = new RouterServerStatus(member.Address, member.Outstanding, member.Forwarded, member.Feedbacks, silence, member.Address == _fixedServer);
        }

        Array.Sort(servers, static (a, b) => string.CompareOrdinal(a.Address.ToString(), b.Address.ToString()));
        return servers;
    }

    /// <summary>
    /// Places the first packet of a request (checked by the caller: a valid REQUEST header with FIRST set, LB or FIXED,
    /// a source of the router's address family): forwards it, queues it, or answers DROP. Takes the buffer in every case.
    /// </summary>
    public void OnRequest(PacketBuffer request, RoutingPolicy headerPolicy, ushort requestId, long now, IRouterOutput output)
    {
        _statistics.Request();
        var key = FeedbackKey.Of(request.Address, requestId);
        if (headerPolicy == RoutingPolicy.Fixed || _policy.Kind == RouterPolicyKind.Fixed)
        {
            if (_fixedServer is not { } fixedServer || !_byAddress.TryGetValue(fixedServer, out var target))
            {
                Refuse(request, requestId, RefusalReason.NoServer, output);
            }
            else if (!CanTrack(key))
            {
                Refuse(request, requestId, RefusalReason.OutstandingLimit, output);
            }
            else
            {
                Dispatch(request, key, target, now, output);
            }

            return;
        }

        if (_activeCount == 0)
        {
            Refuse(request, requestId, RefusalReason.NoServer, output);
            return;
        }

        if (_policy.QueuesAtRouter)
        {
            // FIFO: a request never overtakes one already waiting.
            int target;
            if (_queue.Count == 0 && CanTrack(key) && (target = Shortest(_policy.Bound)) != None)
            {
                Dispatch(request, key, target, now, output);
            }
            else if (_queue.TryEnqueue(request, now))
            {
                _statistics.Queue();
            }
            else
            {
                Refuse(request, requestId, RefusalReason.QueueFull, output);
            }

            return;
        }

        if (!CanTrack(key))
        {
            Refuse(request, requestId, RefusalReason.OutstandingLimit, output);
            return;
        }

        Dispatch(request, key, PickAtOnce(), now, output);
    }

    /// <summary>
    /// A FEEDBACK from <paramref name="source"/> for (client, rid): returns that request's credit when a member sent it
    /// for a request outstanding there, and lets queued requests take the freed credit. Anything else is ignored and counted.
    /// </summary>
    /// <returns>False when <paramref name="source"/> is not a member.</returns>
    public bool OnFeedback(PacketAddress source, ushort requestId, PacketAddress client, long now, IRouterOutput output)
    {
        if (!_byAddress.TryGetValue(source, out var slot))
        {
            _statistics.UnknownFeedback();
            LastUnknownFeedbackSource = source;
            return false;
        }

        if (!_outstanding.TryFind(FeedbackKey.Of(client, requestId), out var entry) || _outstanding.ServerOf(entry) != slot)
        {
            _statistics.UnmatchedFeedback();
            return true;
        }

        var member = _slots[slot]!;
        var sentAt = _outstanding.SentAt(entry);
        _outstanding.Remove(entry);
        member.Outstanding--;
        member.LastFeedback = now;
        member.Feedbacks++;
        _statistics.Feedback(now - sentAt);
        DispatchQueued(now, output);
        return true;
    }

    /// <summary>
    /// The timer: reclaims the credit of every request without FEEDBACK for the feedback timeout (evicting its server if
    /// that server sent no FEEDBACK at all since the request left and that silence was seen whole: <see cref="Judge"/>),
    /// refuses queued requests older than the queue timeout, and returns the next time something is due.
    /// </summary>
    public long Expire(long now, IRouterOutput output)
    {
        var reclaimed = false;
        var undecided = false;
        int entry;
        while ((entry = _outstanding.Oldest) != None && _outstanding.SentAt(entry) + _feedbackTimeout <= now)
        {
            var slot = _outstanding.ServerOf(entry);
            var sentAt = _outstanding.SentAt(entry);
            var member = _slots[slot]!;
            var verdict = member.LastFeedback < sentAt ? Judge(sentAt, now) : Silence.Excused;
            if (verdict == Silence.Undecided)
            {
                undecided = true; // its FEEDBACK may still wait in the port: looked at again once the port is read that far
                break;
            }

            _outstanding.Remove(entry);
            member.Outstanding--;
            _statistics.Reclaimed(1);
            reclaimed = true;
            if (verdict == Silence.Dead)
            {
                // Silent since a request reached it: taken out, so it cannot black-hole more.
                _statistics.Eviction();
                _evicted.Add(member.Address);
                Leave(slot, output);
            }
            else if (member.LastFeedback < sentAt)
            {
                _statistics.EvictionWithheld();
            }
        }

        if (reclaimed)
        {
            DispatchQueued(now, output);
        }

        while (_queue.Count > 0 && _queue.OldestEnqueuedAt + _queueTimeout <= now)
        {
            var request = _queue.Dequeue();
            Refuse(request, RequestIdOf(request), RefusalReason.QueueTimeout, output);
        }

        var next = long.MaxValue;
        if (undecided)
        {
            next = now + _recheck;
        }
        else if (_outstanding.Oldest is var oldest and not None)
        {
            next = _outstanding.SentAt(oldest) + _feedbackTimeout;
        }

        if (_queue.Count > 0)
        {
            next = Math.Min(next, _queue.OldestEnqueuedAt + _queueTimeout);
        }

        return next;
    }

    /// <summary>
    /// A server sent no FEEDBACK since a request left at <paramref name="sentAt"/>, and the request's deadline passed
    /// (docs/router.md, "What FEEDBACK does"). Dead when that silence was seen whole: the FEEDBACK port lost nothing
    /// since the request left and has been read through its deadline (or the port cannot tell, and silence is all there
    /// is). Excused when the port dropped datagrams since the request left (its FEEDBACK may have been among them), or
    /// when the port was still not read through the deadline one more feedback timeout later (a backlog that never
    /// empties): the credit is reclaimed, the server stays, and the next request it takes is judged afresh. Undecided
    /// until then: its FEEDBACK may still wait in the port.
    /// </summary>
    private Silence Judge(long sentAt, long now)
    {
        if (_watch is null)
        {
            return Silence.Dead;
        }

        if (_watch.LossSeenAt >= sentAt)
        {
            return Silence.Excused;
        }

        var deadline = sentAt + _feedbackTimeout;
        if (_watch.DrainedThrough >= deadline)
        {
            return Silence.Dead;
        }

        return now >= deadline + _feedbackTimeout ? Silence.Excused : Silence.Undecided;
    }

    /// <summary>Moves the servers evicted since the last call into <paramref name="into"/>.</summary>
    public void TakeEvicted(List<PacketAddress> into)
    {
        into.AddRange(_evicted);
        _evicted.Clear();
    }

    /// <summary>The router is stopping: every queued request is answered DROP (its client may retry elsewhere).</summary>
    public void Clear(IRouterOutput output)
    {
        while (_queue.Count > 0)
        {
            var request = _queue.Dequeue();
            Refuse(request, RequestIdOf(request), RefusalReason.NoServer, output);
        }
    }

    private static long Ticks(TimeSpan time) => Math.Max(1, (long)(time.TotalSeconds * Stopwatch.Frequency));

    private static ushort RequestIdOf(PacketBuffer request) => BinaryPrimitives.ReadUInt16BigEndian(request.Span.Slice(4, 2));

    private void Join(PacketAddress server)
    {
        if (!_fixedElsewhere)
        {
            _fixedServer ??= server; // unnamed, the fixed server is the first member, also when it joins at run time
        }
        var slot = _freeSlots[--_freeSlotCount];
        _slots[slot] = new RouterMember(server, slot);
        _active[_activeCount++] = slot;
        _byAddress.Add(server, slot);
    }

    private void Leave(int slot, IRouterOutput output)
    {
        var member = _slots[slot]!;
        var at = Array.IndexOf(_active, slot, 0, _activeCount);
        _active[at] = _active[--_activeCount];
        _byAddress.Remove(member.Address);
        _slots[slot] = null;
        _freeSlots[_freeSlotCount++] = slot;

        // Its requests will get no FEEDBACK we would take: stop tracking them (the slot may be reused).
        var reclaimed = 0;
        for (var entry = _outstanding.Oldest; entry != None;)
        {
            var next = _outstanding.Next(entry);
            if (_outstanding.ServerOf(entry) == slot)
            {
                _outstanding.Remove(entry);
                reclaimed++;
            }

            entry = next;
        }

        _statistics.Reclaimed(reclaimed);
        if (_activeCount == 0)
        {
            Clear(output);
        }
    }

    private bool CanTrack(FeedbackKey key) => !_outstanding.IsFull || _outstanding.TryFind(key, out _);

    private void Dispatch(PacketBuffer request, FeedbackKey key, int slot, long now, IRouterOutput output)
    {
        if (_outstanding.TryFind(key, out var earlier))
        {
            // The client reused the rid of a request we still track (it gave up on it): that one's FEEDBACK and this
            // one's look alike, so the earlier one is no longer tracked and its credit is reclaimed.
            _slots[_outstanding.ServerOf(earlier)]!.Outstanding--;
            _outstanding.Remove(earlier);
            _statistics.Reclaimed(1);
        }

        var member = _slots[slot]!;
        _outstanding.Add(key, slot, now);
        member.Outstanding++;
        member.Forwarded++;
        _statistics.Forward();
        output.Forward(request, member.Address);
    }

    private void DispatchQueued(long now, IRouterOutput output)
    {
        while (_queue.Count > 0 && !_outstanding.IsFull)
        {
            var target = Shortest(_policy.Bound);
            if (target == None)
            {
                return;
            }

            _statistics.ForwardFromQueue(now - _queue.OldestEnqueuedAt);
            var request = _queue.Dequeue();
            Dispatch(request, FeedbackKey.Of(request.Address, RequestIdOf(request)), target, now, output);
        }
    }

    /// <summary>Random, round-robin or JSQ: a member now, whatever its queue (the caller checked there is one).</summary>
    private int PickAtOnce()
    {
        switch (_policy.Kind)
        {
            case RouterPolicyKind.Random:
                return _active[_random.Next(_activeCount)];
            case RouterPolicyKind.RoundRobin:
                _turn = (_turn + 1) % _activeCount;
                return _active[_turn];
            default:
                return Shortest(int.MaxValue);
        }
    }

    /// <summary>
    /// The member with the fewest requests outstanding, below <paramref name="bound"/> (idle ones first, then the most
    /// free credits), or -1. Ties go round: the scan starts one further each time, so equal servers share the load.
    /// </summary>
    private int Shortest(int bound)
    {
        if (_activeCount == 0)
        {
            return None;
        }

        var best = None;
        var fewest = bound;
        _turn = (_turn + 1) % _activeCount;
        for (var i = 0; i < _activeCount; i++)
        {
            var slot = _active[(_turn + i) % _activeCount];
            var outstanding = _slots[slot]!.Outstanding;
            if (outstanding < fewest)
            {
                best = slot;
                fewest = outstanding;
                if (outstanding == 0)
                {
                    break;
                }
            }
        }

        return best;
    }

    private void Refuse(PacketBuffer request, ushort requestId, RefusalReason reason, IRouterOutput output)
    {
        // The request's buffer becomes the DROP, addressed to its client (the buffer's source address).
        request.Length = ControlMessages.WriteDrop(request.Storage, requestId);
        _statistics.Refuse(reason);
        output.Reply(request);
    }

    private enum Silence
    {
        /// <summary>Not evidence of death: the credit is reclaimed, the server stays.</summary>
        Excused,

        /// <summary>Evicted.</summary>
        Dead,

        /// <summary>Not judged yet: the request keeps its credit.</summary>
        Undecided,
    }
}
