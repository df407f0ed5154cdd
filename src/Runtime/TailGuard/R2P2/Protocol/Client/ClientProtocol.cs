using System;

namespace TailGuard.R2P2.Protocol;

/// <summary>
/// The client side of one socket, without I/O: the calls in flight by rid (<see cref="RequestIdTable{T}"/>), their one
/// timer each (<see cref="DeadlineQueue"/>), and the dispatch of each received datagram to its call's state machine
/// (<see cref="ClientCall"/>). Packets in, events out; a timer tick in, expired calls out. The caller does the I/O and
/// the locking (not thread-safe); nothing allocates after construction.
/// </summary>
public sealed class ClientProtocol
{
    private readonly RequestIdTable<ClientCall> _calls = new();
    private readonly DeadlineQueue _deadlines;
    private readonly ClientCall?[] _slots;
    private readonly int[] _freeSlots;
    private int _freeCount;

    /// <summary>Creates the protocol state of one client socket.</summary>
    /// <param name="maxInFlight">The most calls in flight at once (1 to 65536).</param>
    /// <param name="maxResponsePackets">The most packets a response may announce.</param>
    public ClientProtocol(int maxInFlight, int maxResponsePackets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxInFlight, 65536);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxResponsePackets, 1);
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

    /// <summary>The most calls in flight at once.</summary>
    public int MaxInFlight => _slots.Length;

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
    /// to send now (the caller owns it).
    /// </summary>
    /// <param name="call">The call, idle, with its request built.</param>
    /// <param name="deadline">When the call times out (the same clock as <see cref="TakeExpired"/>).</param>
    /// <param name="firstPacket">The packet to send.</param>
    /// <returns>False, and the call untouched, when <see cref="MaxInFlight"/> calls are in flight.</returns>
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

        var rid = _calls.Add(call);
        var slot = _freeSlots[--_freeCount];
        _slots[slot] = call;
        call.Slot = slot;
        _deadlines.Add(slot, deadline);
        firstPacket = call.Start(rid);
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
        var outcome = target.Receive(header, packet, MaxResponsePackets);
        if (target.State == CallState.Ended)
        {
            Detach(target);
        }

        return outcome;
    }

    /// <summary>Takes out of flight one call whose deadline is at or before <paramref name="now"/>, and ends it.</summary>
    /// <param name="now">The current time.</param>
    /// <returns>The expired call, or null when none is due.</returns>
    public ClientCall? TakeExpired(long now)
    {
        if (!_deadlines.TryTakeDue(now, out var slot))
        {
            return null;
        }

        var call = _slots[slot]!;
        Detach(call); // its deadline is already out of the queue
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

        Detach(call);
        call.End();
        return true;
    }

    private void Detach(ClientCall call)
    {
        var slot = call.Slot;
        _calls.Remove(call.RequestId, call);
        _deadlines.Remove(slot);
        _slots[slot] = null;
        _freeSlots[_freeCount++] = slot;
        call.Slot = -1;
    }
}
