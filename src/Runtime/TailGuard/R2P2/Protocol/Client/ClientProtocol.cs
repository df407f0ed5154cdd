using System;
using System.Diagnostics;

namespace TailGuard.R2P2.Protocol;

/// <summary>
/// The client side of one socket, without I/O: the calls in flight by rid (<see cref="RequestIdTable{T}"/>), their one
/// timer each (<see cref="DeadlineQueue"/>), and the dispatch of each received datagram to its call's state machine
/// (<see cref="ClientCall"/>), which takes it only from who may answer (<see cref="ResponseSources"/>). A call that ends
/// without its whole response (timed out, cancelled, dropped, malformed) leaves its rid in quarantine, so a late
/// response can never complete the call that would reuse it (docs/security.md). Packets in, events out; a timer tick in,
/// expired calls out. The caller does the I/O and the locking (not thread-safe); nothing allocates after construction.
/// </summary>
public sealed class ClientProtocol
{
    private readonly RequestIdTable<ClientCall> _calls = new();
    private readonly DeadlineQueue _deadlines;
    private readonly ClientCall?[] _slots;
    private readonly int[] _freeSlots;
    private int _freeCount;
    private long _now;

    /// <summary>Creates the protocol state of one client socket that talks straight to its server, with the default quarantine.</summary>
    /// <param name="maxInFlight">The most calls in flight at once (1 to 65536).</param>
    /// <param name="maxResponsePackets">The most packets a response may announce.</param>
    public ClientProtocol(int maxInFlight, int maxResponsePackets)
        : this(maxInFlight, maxResponsePackets, ResponseSources.Destination, DefaultQuarantineTicks)
    {
    }

    /// <summary>Creates the protocol state of one client socket.</summary>
    /// <param name="maxInFlight">The most calls in flight at once (1 to 65536).</param>
    /// <param name="maxResponsePackets">The most packets a response may announce.</param>
    /// <param name="sources">Who may answer the calls.</param>
    /// <param name="quarantineTicks">
    /// How long after its deadline (in the clock of <see cref="TakeExpired"/>) the rid of a call that ended without its
    /// response stays out of use; at least 1.
    /// </param>
    public ClientProtocol(int maxInFlight, int maxResponsePackets, ResponseSources sources, long quarantineTicks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxInFlight, 65536);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxResponsePackets, 1);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentOutOfRangeException.ThrowIfLessThan(quarantineTicks, 1);
        Sources = sources;
        QuarantineTicks = quarantineTicks;
        MaxResponsePackets = maxResponsePackets;
        _deadlines = new DeadlineQueue(maxInFlight);
        _slots = new ClientCall?[maxInFlight];
        _freeSlots = new int[maxInFlight];
        for (var i = 0; i < maxInFlight; i++)
        {
            _freeSlots[i] = maxInFlight - 1 - i;
        }

        _freeCount = maxInFlight;
    }

    /// <summary>The default quarantine: 3 s of <see cref="Stopwatch"/> ticks, a few of the default 1 s call timeout.</summary>
    public static long DefaultQuarantineTicks => 3 * Stopwatch.Frequency;

    /// <summary>The most calls in flight at once.</summary>
    public int MaxInFlight => _slots.Length;

    /// <summary>Who may answer the calls.</summary>
    public ResponseSources Sources { get; }

    /// <summary>How long after its deadline the rid of a call that ended without its response stays out of use.</summary>
    public long QuarantineTicks { get; }

    /// <summary>
    /// The authenticated mode (docs/security.md), when on: <see cref="TryStart"/> seals every request packet with a new
    /// call nonce, and <see cref="Receive"/> takes a reply only when it names the call's nonce and its tag verifies.
    /// </summary>
    internal Security.ClientAuthenticator? Authenticator { get; init; }

    /// <summary>How many rids are quarantined (an upper bound; see <see cref="RequestIdTable{T}.QuarantinedCount"/>).</summary>
    public int QuarantinedRequestIds => _calls.QuarantinedCount;

    /// <summary>The most packets a response may announce.</summary>
    public int MaxResponsePackets { get; }

    /// <summary>How many calls are in flight.</summary>
    public int InFlight => _calls.Count;

    /// <summary>The rid the allocator tries next (see <see cref="RequestIdTable{T}.NextRequestId"/>).</summary>
    public ushort NextRequestId
    {
        get => _calls.NextRequestId;
        set => _calls.NextRequestId = value;
    }

    /// <summary>The earliest deadline of a call in flight, or <see cref="long.MaxValue"/>.</summary>
    public long EarliestDeadline => _deadlines.EarliestDeadline;

    /// <summary>
    /// Puts an idle call holding its request in flight: gives it a rid and its deadline, and hands out the first packet
    /// to send now (the caller owns it). Quarantines end as the clock given to <see cref="TakeExpired"/> passes them.
    /// </summary>
    /// <param name="call">The call, idle, with its request built.</param>
    /// <param name="deadline">When the call times out (the same clock as <see cref="TakeExpired"/>).</param>
    /// <param name="firstPacket">The packet to send.</param>
    /// <returns>
    /// False, and the call untouched, when <see cref="MaxInFlight"/> calls are in flight, or when every rid is in
    /// flight or quarantined (<see cref="InFlight"/> is then below <see cref="MaxInFlight"/>).
    /// </returns>
    public bool TryStart(ClientCall call, long deadline, out PacketBuffer? firstPacket)
    {
        ArgumentNullException.ThrowIfNull(call);
        firstPacket = null;
        if (_freeCount == 0)
        {
            return false;
        }

        if (call.State != CallState.Idle || call.RequestPacketCount == 0)
        {
            throw new InvalidOperationException("Only an idle call with a request starts.");
        }

        if (!_calls.TryAdd(call, _now, out var rid))
        {
            return false;
        }

        var slot = _freeSlots[--_freeCount];
        _slots[slot] = call;
        call.Slot = slot;
        _deadlines.Add(slot, deadline);
        firstPacket = call.Start(rid);
        if (Authenticator is { } authenticator)
        {
            // Sealed once the rid is stamped: the tag covers the header.
            call.CallNonce = authenticator.NextCallNonce();
            authenticator.Seal(firstPacket, call.CallNonce);
            foreach (var packet in call.HeldRequestPackets)
            {
                authenticator.Seal(packet, call.CallNonce);
            }
        }

        return true;
    }

    /// <summary>
    /// Dispatches a received datagram to its call. A call that ends here (completed, dropped, malformed) is out of flight
    /// when this returns. See <see cref="ClientCallEvent"/> for who keeps the buffer.
    /// </summary>
    /// <param name="packet">The datagram.</param>
    /// <param name="call">The call it was for; null when it was for none.</param>
    /// <returns>The event.</returns>
    public ClientCallEvent Receive(PacketBuffer packet, out ClientCall? call)
    {
        ArgumentNullException.ThrowIfNull(packet);
        call = null;
        if (R2P2Header.TryRead(packet.Span, out var header) != HeaderStatus.Valid)
        {
            return ClientCallEvent.Ignored;
        }

        var target = _calls[header.RequestId];
        if (target is null)
        {
            return ClientCallEvent.Ignored; // a late packet of a finished call, or a stranger: never delivered
        }

        call = target;
        var sealedReply = Authenticator is not null && target.State is not (CallState.Idle or CallState.Ended);
        ulong serverNonce = 0;
        if (sealedReply && !Authenticator!.TryOpen(packet, target.CallNonce, out serverNonce))
        {
            return ClientCallEvent.Forged; // not from the key holder, or for another call: the call goes on
        }

        if (sealedReply && !target.IsFreshReply(serverNonce))
        {
            return ClientCallEvent.Forged; // a genuine reply of this call seen before (a replay): the call goes on
        }

        var outcome = target.Receive(header, packet, MaxResponsePackets, Sources);
        if (sealedReply && outcome != ClientCallEvent.Forged)
        {
            target.TookReply(serverNonce);
        }
        if (target.State == CallState.Ended)
        {
            // A dropped or malformed call may still have a genuine response on its way: keep its rid out of use.
            Detach(target, quarantine: outcome != ClientCallEvent.Completed);
        }

        return outcome;
    }

    /// <summary>Takes out of flight one call whose deadline is at or before <paramref name="now"/>, and ends it.</summary>
    /// <param name="now">The current time.</param>
    /// <returns>The expired call, or null when none is due.</returns>
    public ClientCall? TakeExpired(long now)
    {
        if (now > _now && now != long.MaxValue)
        {
            _now = now; // the clock quarantines are measured against
        }

        if (!_deadlines.TryTakeDue(now, out var slot))
        {
            return null;
        }

        var call = _slots[slot]!;
        Detach(call, quarantine: true, end: now); // its deadline is already out of the queue
        call.End();
        return call;
    }

    /// <summary>Takes a call out of flight early (cancelled, its send failed, the client closed) and ends it.</summary>
    /// <param name="call">The call.</param>
    /// <returns>False when the call was not in flight (it ended already).</returns>
    public bool TryEnd(ClientCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call.Slot < 0 || !ReferenceEquals(_slots[call.Slot], call))
        {
            return false;
        }

        Detach(call, quarantine: true);
        call.End();
        return true;
    }

    /// <summary>Takes a call out of flight; its rid is freed at once, or quarantined until <see cref="QuarantineTicks"/> after its deadline.</summary>
    private void Detach(ClientCall call, bool quarantine, long end = long.MinValue)
    {
        var slot = call.Slot;
        if (_deadlines.Contains(slot))
        {
            end = _deadlines.DeadlineOf(slot);
        }

        if (!quarantine || end == long.MaxValue)
        {
            _calls.Remove(call.RequestId, call); // a whole response, or the client is closing
        }
        else
        {
            var from = Math.Max(end, _now);
            _calls.Quarantine(call.RequestId, call, from > long.MaxValue - QuarantineTicks ? long.MaxValue : from + QuarantineTicks);
        }

        _deadlines.Remove(slot);
        _slots[slot] = null;
        _freeSlots[_freeCount++] = slot;
        call.Slot = -1;
    }
}
