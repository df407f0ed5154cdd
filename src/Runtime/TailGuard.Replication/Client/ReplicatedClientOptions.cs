using System;
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
    /// How far the oldest call in flight may fall behind the newest (so also the most calls in flight at once). 1024 by
    /// default: the replicas keep as many responses per client. A new call waits (within its own timeout) while the
    /// window is full, for example behind a call whose first attempt was lost and that waits for its retry.
    /// </summary>
    public int MaxInFlight { get; init; } = 1024;

    /// <summary>Payload bytes per packet: a call's request (24 bytes of session header and the service's payload) must fit one. 1464 by default.</summary>
    public int PayloadSize { get; init; } = 1464;

    /// <summary>The client's id in the replicas' session table; a random one by default. Two clients must never share one.</summary>
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
    }
}
