using System.Threading;

namespace TailGuard.Replication;

/// <summary>Counts of one replica since it started (docs/replication.md, "Observing a cluster"). Thread-safe snapshots of live counters.</summary>
public sealed class ReplicatedNodeStatistics
{
    private long _requests;
    private long _drops;
    private long _refused;
    private long _malformed;
    private long _ordered;
    private long _orderFailures;
    private long _adopted;
    private long _applied;
    private long _replies;
    private long _duplicates;
    private long _stale;
    private long _sessionsRegistered;
    private long _expiredSessions;
    private long _recoveriesAsked;
    private long _recoveriesServed;
    private long _payloadMismatches;
    private long _snapshots;
    private long _snapshotsRestored;
    private long _snapshotReplies;
    private long _peerMessages;
    private long _rejectedPeerMessages;

    /// <summary>Client requests delivered to this replica (each replica counts its copy).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests answered DROP by flow control (or, in the baseline mode, by a follower).</summary>
    public long Drops => Interlocked.Read(ref _drops);

    /// <summary>Requests refused with an error answer: malformed session header, a read-only request naming a write, too large.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Datagrams dropped: bad header, unserved policy, replica messages from an address that is not a member.</summary>
    public long MalformedDatagrams => Interlocked.Read(ref _malformed);

    /// <summary>Entries this replica appended as leader.</summary>
    public long Ordered => Interlocked.Read(ref _ordered);

    /// <summary>
    /// Requests this replica ordered when it became leader: parked before it could order them, named by no entry in its
    /// log (docs/replication.md, "Failure behaviour"). Counted in <see cref="Ordered"/> too.
    /// </summary>
    public long Adopted => Interlocked.Read(ref _adopted);

    /// <summary>Appends that failed (leadership lost before commit; the client retries).</summary>
    public long OrderFailures => Interlocked.Read(ref _orderFailures);

    /// <summary>Entries applied.</summary>
    public long Applied => Interlocked.Read(ref _applied);

    /// <summary>Responses this replica sent as replier.</summary>
    public long Replies => Interlocked.Read(ref _replies);

    /// <summary>Retried writes answered from the session table instead of running again.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Writes below their client's floor (late copies of calls whose outcome the client had): no effect, answered SessionExpired.</summary>
    public long Stale => Interlocked.Read(ref _stale);

    /// <summary>
    /// Writes of a session that is not the one registered for their client id (evicted, replaced or never registered),
    /// or whose response was evicted: not run, answered SessionExpired.
    /// </summary>
    public long ExpiredSessions => Interlocked.Read(ref _expiredSessions);

    /// <summary>Client sessions this replica registered (each client's first write of a session registers it first).</summary>
    public long SessionsRegistered => Interlocked.Read(ref _sessionsRegistered);

    /// <summary>Payloads this replica had to ask a peer for.</summary>
    public long RecoveriesAsked => Interlocked.Read(ref _recoveriesAsked);

    /// <summary>Payloads this replica gave to a peer that asked.</summary>
    public long RecoveriesServed => Interlocked.Read(ref _recoveriesServed);

    /// <summary>Parked payloads whose hash disagreed with the entry (replaced by the recovered one).</summary>
    public long PayloadMismatches => Interlocked.Read(ref _payloadMismatches);

    /// <summary>Snapshots taken.</summary>
    public long Snapshots => Interlocked.Read(ref _snapshots);

    /// <summary>Snapshots restored: this replica's own when it starts, or the leader's when its log fell behind the leader's compaction.</summary>
    public long SnapshotsRestored => Interlocked.Read(ref _snapshotsRestored);

    /// <summary>Writes answered from the session table after a restored snapshot covered their entries (their replier may have skipped them).</summary>
    public long SnapshotReplies => Interlocked.Read(ref _snapshotReplies);

    /// <summary>Replica messages (STATUS, RECOVER, RECOVERED) received from members.</summary>
    public long PeerMessages => Interlocked.Read(ref _peerMessages);

    /// <summary>Replica messages dropped (malformed, or from an address that is not a member).</summary>
    public long RejectedPeerMessages => Interlocked.Read(ref _rejectedPeerMessages);

    internal void Request() => Interlocked.Increment(ref _requests);

    internal void Drop() => Interlocked.Increment(ref _drops);

    internal void Refuse() => Interlocked.Increment(ref _refused);

    internal void Malformed() => Interlocked.Increment(ref _malformed);

    internal void Order() => Interlocked.Increment(ref _ordered);

    internal void Adopt() => Interlocked.Increment(ref _adopted);

    internal void OrderFailure() => Interlocked.Increment(ref _orderFailures);

    internal void Apply() => Interlocked.Increment(ref _applied);

    internal void Reply() => Interlocked.Increment(ref _replies);

    internal void Duplicate() => Interlocked.Increment(ref _duplicates);

    internal void StaleWrite() => Interlocked.Increment(ref _stale);

    internal void ExpiredSession() => Interlocked.Increment(ref _expiredSessions);

    internal void SessionRegistered() => Interlocked.Increment(ref _sessionsRegistered);

    internal void RecoveryAsked() => Interlocked.Increment(ref _recoveriesAsked);

    internal void RecoveryServed() => Interlocked.Increment(ref _recoveriesServed);

    internal void PayloadMismatch() => Interlocked.Increment(ref _payloadMismatches);

    internal void Snapshot() => Interlocked.Increment(ref _snapshots);

    internal void SnapshotRestored() => Interlocked.Increment(ref _snapshotsRestored);

    internal void SnapshotReply() => Interlocked.Increment(ref _snapshotReplies);

    internal void PeerMessage() => Interlocked.Increment(ref _peerMessages);

    internal void RejectedPeerMessage() => Interlocked.Increment(ref _rejectedPeerMessages);
}
