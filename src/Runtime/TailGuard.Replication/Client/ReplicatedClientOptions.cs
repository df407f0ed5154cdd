using System;
using System.Net;
using TailGuard.R2P2;

namespace TailGuard.Replication;

/// <summary>Settings of a <see cref="ReplicatedClient"/> (docs/replication.md, "Configuration").</summary>
public sealed class ReplicatedClientOptions
{
    /// <summary>How long one attempt waits for its answer before the call is sent again (same sequence number, new rid). 500 ms by default.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a call may take with all its attempts; the default when a call gives none. 5 s by default.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The first wait after a DROP before trying again; it doubles on each further DROP, up to 64 times. 1 ms by default.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Sends each call to every replica (HovercRaft; the default). False sends it to one replica at a time, moving on
    /// after a DROP or a timeout: the plain leader-based baseline (<see cref="ReplicationMode.LeaderPayload"/>).
    /// </summary>
    public bool FanOut { get; init; } = true;

    /// <summary>
    /// An IPv4 multicast group (address in 224.0.0.0/4 and port) the replicas joined
    /// (<see cref="ReplicatedNodeOptions.MulticastGroup"/>): each replicated request is then sent once, to the group,
    /// instead of once per replica; every other packet is unchanged, and answers still come from the replicas' unicast
    /// addresses. Null (the default) fans out by unicast. Needs <see cref="FanOut"/>, IPv4 replicas, and a network that
    /// carries the group from the client to every replica (docs/replication.md, "Fan-out").
    /// </summary>
    public IPEndPoint? MulticastGroup { get; init; }

    /// <summary>
    /// How many routers the client's group datagrams may cross (IP_MULTICAST_TTL of the socket
    /// <see cref="ReplicatedClient.CreateUdp"/> opens; 0 keeps them on this host). 1 by default: the replicas share the
    /// client's link. Used only with <see cref="MulticastGroup"/>.
    /// </summary>
    public int MulticastTimeToLive { get; init; } = 1;

    /// <summary>
    /// How far the oldest call in flight may fall behind the newest (so also the most calls in flight at once). 1024 by
    /// default: the replicas keep as many responses per client. A new call waits (within its own timeout) while the
    /// window is full, for example behind a call whose first attempt was lost and that waits for its retry.
    /// </summary>
    public int MaxInFlight { get; init; } = 1024;

    /// <summary>Payload bytes per packet: a call's request (24 bytes of session header and the service's payload) must fit one. 1464 by default.</summary>
    public int PayloadSize { get; init; } = 1464;

    /// <summary>
    /// The client's first id in the replicas' session table; a random one by default. Two live clients must never share
    /// one: each registration of an id replaces the session the id had, so they would keep expiring each other's
    /// sessions. A client restarted with its old id is safe: its registration replaces the old session and its responses.
    /// </summary>
    public ulong? ClientId { get; init; }

    /// <summary>Receive mode of the client's socket. Blocking by default.</summary>
    public ReceiveMode ReceiveMode { get; init; } = ReceiveMode.Blocking;

    internal void Validate()
    {
        if (AttemptTimeout <= TimeSpan.Zero || Timeout <= TimeSpan.Zero || RetryDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(AttemptTimeout), "AttemptTimeout and Timeout must be positive and RetryDelay not negative.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(PayloadSize, 64);
        MulticastGroupCheck.Validate(MulticastGroup, nameof(MulticastGroup));
        if (MulticastGroup is not null && !FanOut)
        {
            throw new ArgumentException("MulticastGroup sends each call to every replica at once: it needs FanOut (the leader-based baseline sends to one replica at a time).", nameof(MulticastGroup));
        }

        if (MulticastTimeToLive is < 0 or > 255)
        {
            throw new ArgumentOutOfRangeException(nameof(MulticastTimeToLive), MulticastTimeToLive, "MulticastTimeToLive is from 0 to 255.");
        }
    }
}
