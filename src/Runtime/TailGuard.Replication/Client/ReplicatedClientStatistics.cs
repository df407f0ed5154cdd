using System.Threading;

namespace TailGuard.Replication;

/// <summary>Counts of one <see cref="ReplicatedClient"/>. Thread-safe.</summary>
public sealed class ReplicatedClientStatistics
{
    private long _calls;
    private long _attempts;
    private long _drops;
    private long _timeouts;
    private long _failures;
    private long _windowWaits;
    private long _requestDatagrams;
    private long _sessionsRenewed;
    private long _registrations;

    /// <summary>Calls started.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Attempts sent (a call's first attempt and every retry).</summary>
    public long Attempts => Interlocked.Read(ref _attempts);

    /// <summary>Attempts answered DROP (flow control, or a baseline follower).</summary>
    public long Drops => Interlocked.Read(ref _drops);

    /// <summary>Attempts that timed out.</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);

    /// <summary>Calls that ended without an answer (their whole timeout passed).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>
    /// Calls that waited before their first attempt because the oldest call in flight was a whole window
    /// (<see cref="ReplicatedClientOptions.MaxInFlight"/>) behind: a call that needed a retry held the window.
    /// </summary>
    public long WindowWaits => Interlocked.Read(ref _windowWaits);

    /// <summary>
    /// Datagrams of replicated requests handed to the socket: one per replica per attempt with unicast fan-out, one per
    /// attempt with <see cref="ReplicatedClientOptions.MulticastGroup"/> or without fan-out.
    /// </summary>
    public long RequestDatagrams => Interlocked.Read(ref _requestDatagrams);

    /// <summary>
    /// New sessions the client started because the replicas answered a write <c>SessionExpired</c> (they had evicted
    /// its session: more clients than <see cref="ReplicatedNodeOptions.MaxSessions"/> were active).
    /// </summary>
    public long SessionsRenewed => Interlocked.Read(ref _sessionsRenewed);

    /// <summary>
    /// Session registrations sent, every attempt counted: a session is registered before its first write
    /// (docs/replication.md, "Exactly-once effects"). Not in <see cref="Attempts"/>, which counts calls' attempts.
    /// </summary>
    public long Registrations => Interlocked.Read(ref _registrations);

    internal void Call() => Interlocked.Increment(ref _calls);

    internal void Attempt() => Interlocked.Increment(ref _attempts);

    internal void Drop() => Interlocked.Increment(ref _drops);

    internal void Timeout() => Interlocked.Increment(ref _timeouts);

    internal void Failure() => Interlocked.Increment(ref _failures);

    internal void WindowWait() => Interlocked.Increment(ref _windowWaits);

    internal void SessionRenewed() => Interlocked.Increment(ref _sessionsRenewed);

    internal void Registration() => Interlocked.Increment(ref _registrations);

    internal void RequestDatagramsSent(int count) => Interlocked.Add(ref _requestDatagrams, count);
}
