using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using TailGuard.R2P2;
using TailGuard.Replication.Payloads;

namespace TailGuard.Replication.Tests.Payloads;

/// <summary>
/// The parked table's age bound (docs/replication.md, "Parking and joining"): a payload past the timeout is dropped
/// unless an entry the replica has not applied names it; a kept payload is asked about again one timeout later.
/// </summary>
public sealed class ParkedPayloadsTests
{
    private static readonly long Second = Stopwatch.Frequency;
    private static readonly PacketAddress Client = PacketAddress.FromEndPoint(new IPEndPoint(IPAddress.Loopback, 4000));
    private static readonly HashSet<RequestKey> NoneNamed = [];

    [Fact]
    public void APayloadPastTheTimeoutThatNoEntryNamesIsDropped()
    {
        var parked = new ParkedPayloads(16, TimeSpan.FromSeconds(1));
        var key = new RequestKey(Client, 1);
        Assert.True(parked.TryPark(key, [1, 2, 3], 7, default, now: 0));

        Assert.False(parked.HasStale(Second - 1));
        parked.Expire(Second - 1, NoneNamed);
        Assert.Equal(1, parked.Count);

        Assert.True(parked.HasStale(Second));
        parked.Expire(Second, NoneNamed);
        Assert.Equal(0, parked.Count);
        Assert.Equal(1, parked.Expired);
        Assert.Equal(0, parked.Kept);
        Assert.False(parked.TryTake(key, 7, out _, out _));
    }

    [Fact]
    public void APayloadAnUnappliedEntryNamesIsKeptForAnotherTimeoutThenAskedAboutAgain()
    {
        var parked = new ParkedPayloads(16, TimeSpan.FromSeconds(1));
        var named = new RequestKey(Client, 1);
        var unnamed = new RequestKey(Client, 2);
        byte[] payload = [1, 2, 3];
        Assert.True(parked.TryPark(named, payload, 7, default, now: 0));
        Assert.True(parked.TryPark(unnamed, [4], 8, default, now: 0));

        parked.Expire(Second, new HashSet<RequestKey> { named });
        Assert.Equal(1, parked.Count);
        Assert.Equal(1, parked.Kept);
        Assert.Equal(1, parked.Expired);
        Assert.Same(payload, parked.Find(named, 7));

        // Kept from the pass on: not stale again before a whole timeout after it, and a duplicate datagram meanwhile
        // does not replace it.
        Assert.False(parked.HasStale(2 * Second - 1));
        Assert.False(parked.TryPark(named, [9], 9, default, now: 2 * Second - 1));

        // No entry names it any more (applied elsewhere, or its entry was overwritten): the next pass drops it.
        Assert.True(parked.HasStale(2 * Second));
        parked.Expire(2 * Second, NoneNamed);
        Assert.Equal(0, parked.Count);
        Assert.Equal(2, parked.Expired);
    }

    [Fact]
    public void AKeptPayloadIsTakenByItsEntryWithItsHashChecked()
    {
        var parked = new ParkedPayloads(16, TimeSpan.FromSeconds(1));
        var key = new RequestKey(Client, 1);
        byte[] payload = [1, 2, 3];
        Assert.True(parked.TryPark(key, payload, 7, default, now: 0));
        parked.Expire(3 * Second, new HashSet<RequestKey> { key });

        Assert.True(parked.TryTake(key, 7, out var taken, out _));
        Assert.Same(payload, taken);
        Assert.Equal(0, parked.Count);
    }

    [Fact]
    public void KeptPayloadsMoveBehindYoungerOnesSoTheYoungerExpireFirst()
    {
        var parked = new ParkedPayloads(16, TimeSpan.FromSeconds(1));
        var old = new RequestKey(Client, 1);
        var younger = new RequestKey(Client, 2);
        Assert.True(parked.TryPark(old, [1], 1, default, now: 0));
        Assert.True(parked.TryPark(younger, [2], 2, default, now: Second / 2));

        parked.Expire(Second, new HashSet<RequestKey> { old }); // old kept until 2 s; younger stale from 1.5 s
        parked.Expire(3 * Second / 2, NoneNamed);
        Assert.NotNull(parked.Find(old, 1));
        Assert.Null(parked.Find(younger, 2));
    }

    [Fact]
    public void UnorderedListsThePayloadsParkedWithoutBeingOrderedOldestFirst()
    {
        // What a new leader adopts (docs/replication.md, "Failure behaviour"): not what it ordered itself on arrival.
        var parked = new ParkedPayloads(16, TimeSpan.FromSeconds(1));
        Assert.True(parked.TryPark(new RequestKey(Client, 1), [1], 11, default, now: 0));
        Assert.True(parked.TryPark(new RequestKey(Client, 2), [2], 12, default, now: 1, ordered: true));
        Assert.True(parked.TryPark(new RequestKey(Client, 4), [4], 14, default, now: 2));
        Assert.True(parked.TryPark(new RequestKey(Client, 3), [3], 13, default, now: 3));
        Assert.True(parked.TryTake(new RequestKey(Client, 1), 11, out _, out _)); // applied: gone

        // Oldest first, not by rid: the order a new leader orders them in.
        Assert.Equal([(new RequestKey(Client, 4), 14UL), (new RequestKey(Client, 3), 13UL)], parked.Unordered());
    }
}
