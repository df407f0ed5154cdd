using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;
using TailGuard.R2P2;
using TailGuard.Replication.Log;
using TailGuard.Replication.Payloads;
using TailGuard.Replication.Peers;
using TailGuard.Replication.Raft;
using TailGuard.Replication.Replies;
using TailGuard.Replication.Sessions;

namespace TailGuard.Replication;

/// <summary>
/// One replica of a replicated R2P2 service (HovercRaft on DotNext's Raft; docs/replication.md). It serves the
/// service's clients over UDP on its member endpoint, talks Raft (DotNext, TCP) with the other members on the same
/// port number, and exchanges its own R2P2 messages (STATUS, RECOVER, RECOVERED) with them over the UDP socket.
/// Requests are parked on arrival; the leader orders them with metadata-only log entries naming a replier; every
/// replica applies every write in log order, and the replier answers the client. Start with <see cref="StartAsync"/>;
/// dispose to stop.
/// </summary>
public sealed class ReplicatedNode : IAsyncDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan StatusHeartbeat = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan ExpiryPassInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan RaftWatchInterval = TimeSpan.FromMilliseconds(100); // how soon a failed Raft engine is reported
    private const int ExpiryReadBatch = 4096; // log entries per WAL read in an expiry pass

    private readonly ReplicatedNodeOptions _options;
    private readonly IReplicatedService _service;
    private readonly PacketAddress[] _members;
    private readonly PacketTransport _transport;
    private readonly ReplicaLoop _handler;
    private readonly ReceiveLoop _loop;
    private readonly ParkedPayloads _parked;
    private readonly PayloadJournal _journal;
    private readonly ClusterView _view;
    private readonly ReplierSelector _repliers;
    private readonly PendingReplies _pending = new();
    private readonly ReplySender _sender;
    private readonly PayloadRecovery _recovery;
    private readonly RequestApplier _applier;
    private readonly ApplyHost _applyHost;
    private readonly Channel<(EntryMetadata Metadata, byte[] Payload)> _orders;
    private readonly CancellationTokenSource _stopping = new();
    private uint _boot = (uint)Random.Shared.Next(); // this incarnation's id in STATUS: a restart or a restored snapshot changes it
    private readonly long _tickTicks = (long)(Tick.TotalSeconds * Stopwatch.Frequency);
    private readonly long _heartbeatTicks = (long)(StatusHeartbeat.TotalSeconds * Stopwatch.Frequency);
    private readonly long _expiryPassTicks;
    private ReplicatedStateMachine? _stateMachine;
    private WriteAheadLog? _wal;
    private RaftCluster? _cluster;
    private Task _orderer = Task.CompletedTask;
    private Task _expiryPass = Task.CompletedTask;
    private Task _raftWatch = Task.CompletedTask;
    private readonly TaskCompletionSource<Exception> _raftFailed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task<List<(RequestKey Key, ulong Hash)>>? _adoption; // loop thread: the log read of the adoption under way
    private AdoptionTurn _adoptionTurn; // loop thread
    private long _nextExpiryPass;
    private long _handled;
    private long _commitPushes;
    private long _lastStatusSent;
    private long _lastStatusApplied = -1;
    private long _unreplicatedIndex;
    private int _leader = -1;
    private int _disposed;
    private long _termAtStop = -1; // set once the log is closed: a closed log answers 0

    private ReplicatedNode(ReplicatedNodeOptions options, IReplicatedService service, IReplicatedState state)
    {
        _options = options;
        _service = service;
        _members = options.Members.Select(PacketAddress.FromEndPoint).ToArray();
        Statistics = new ReplicatedNodeStatistics();
        _parked = new ParkedPayloads(options.MaxParkedPayloads, options.ParkedPayloadTimeout);
        var expiryPass = TimeSpan.FromTicks(Math.Min(ExpiryPassInterval.Ticks, options.ParkedPayloadTimeout.Ticks / 4));
        _expiryPassTicks = (long)(expiryPass.TotalSeconds * Stopwatch.Frequency);
        _journal = new PayloadJournal(new DirectoryInfo(Path.Combine(options.DataDirectory, "journal")));
        _view = new ClusterView(_members.Length, options.Self, options.UpperElectionTimeout * 2);
        _repliers = new ReplierSelector(_view, options.MaxOutstandingReplies);
        _applier = new RequestApplier(service, new SessionTable(options.MaxSessions, options.MaxResponsesPerSession), Statistics);
        _applyHost = new ApplyHost(this);
        State = state;
        _orders = Channel.CreateUnbounded<(EntryMetadata, byte[])>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

        // With a multicast group the loop also receives the group's socket: one thread and one handler for both, so a
        // request from the group passes the same checks as a unicast one, and every answer leaves from the member socket.
        _transport = options.MulticastGroup is { } group
            ? UdpMulticastMemberTransport.Bind(options.Members[options.Self], group)
            : UdpTransport.Bind(options.Members[options.Self]);
        _sender = new ReplySender(_transport, options.PayloadSize, Statistics);
        _recovery = new PayloadRecovery(_transport, _members, options.Self, () => Volatile.Read(ref _leader), Statistics);
        _handler = new ReplicaLoop(this, new R2P2ServerOptions
        {
            PayloadSize = options.PayloadSize,
            ServedPolicies = [RoutingPolicy.Fixed, RoutingPolicy.Replicated, RoutingPolicy.ReplicatedReadOnly],
            AdmissionPolicy = new FlowControl(this),
            MaxRequestBytes = options.PayloadSize, // replicated requests are single packets (docs/replication.md)
        });
        _loop = new ReceiveLoop(_transport, _handler, new ReceiveLoopOptions
        {
            Mode = options.ReceiveMode,
            BufferSize = R2P2.Protocol.R2P2Header.Size + Math.Max(options.PayloadSize, PeerMessages.RecoveredHeaderLength + options.PayloadSize),
            IdleWait = Tick,
            ThreadName = $"HovercRaft replica {options.Self}",
        });
    }

    /// <summary>This node's index in the members.</summary>
    public int Self => _options.Self;

    /// <summary>This node's endpoint (UDP for clients and replicas, TCP for Raft).</summary>
    public IPEndPoint EndPoint => _options.Members[_options.Self];

    /// <summary>The settings the node runs with.</summary>
    public ReplicatedNodeOptions Options => _options;

    /// <summary>Whether this node is the Raft leader now.</summary>
    public bool IsLeader => _options.Mode == ReplicationMode.Unreplicated || (_cluster is { } cluster && RaftFailure is null && IsLeading(cluster));

    // A zombie cluster (see RaftFailure) throws instead of answering; until the watch has seen it, it leads nothing.
    private static bool IsLeading(RaftCluster cluster)
    {
        try
        {
            return !cluster.LeadershipToken.IsCancellationRequested;
        }
        catch (UnreachableException)
        {
            return false;
        }
    }

    /// <summary>The index of the member this node believes leads, or -1 when it knows of none.</summary>
    public int LeaderIndex => _options.Mode == ReplicationMode.Unreplicated ? Self : Volatile.Read(ref _leader);

    /// <summary>This node's current Raft term (0 unreplicated); once the node is disposed, the last term it had.</summary>
    public long Term => _wal is null ? 0 : Interlocked.Read(ref _termAtStop) is >= 0 and var last ? last : ((IPersistentState)_wal).Term;

    /// <summary>The last log index applied to the state.</summary>
    public long AppliedIndex => _stateMachine is null
        ? Interlocked.Read(ref _unreplicatedIndex)
        : Math.Max(_stateMachine.AppliedIndex, _wal?.LastAppliedIndex ?? 0); // the WAL skips entries without payload (a leader's no-op)

    /// <summary>The highest log index known committed.</summary>
    public long CommitIndex => _wal?.LastCommittedEntryIndex ?? Interlocked.Read(ref _unreplicatedIndex);

    /// <summary>The last index in this node's log.</summary>
    public long LogIndex => _wal?.LastEntryIndex ?? Interlocked.Read(ref _unreplicatedIndex);

    /// <summary>The index of the newest snapshot this node took or restored (-1 when none).</summary>
    public long SnapshotIndex => _stateMachine?.SnapshotIndex ?? -1;

    /// <summary>Payloads parked now, waiting for their log entry.</summary>
    public int ParkedPayloads => _parked.Count;

    /// <summary>Replies waiting for their write to be applied by a majority.</summary>
    public int PendingReplies => _pending.Count;

    /// <summary>This node's counts.</summary>
    public ReplicatedNodeStatistics Statistics { get; }

    /// <summary>Datagrams received through <see cref="ReplicatedNodeOptions.MulticastGroup"/> (0 without one).</summary>
    public long MulticastDatagrams => (_transport as UdpMulticastMemberTransport)?.GroupDatagrams ?? 0;

    /// <summary>The service state this node applies requests to.</summary>
    internal IReplicatedState State { get; }

    /// <summary>Raised (on a DotNext thread) when this node learns of a new leader; the argument is its index, or -1.</summary>
    public event Action<int>? LeaderChanged;

    /// <summary>
    /// Why this node's Raft engine failed for good (its log's background work, or a state transition that left DotNext's
    /// cluster a "zombie"), or null while it works. Once it has failed the node neither appends nor applies entries nor
    /// votes, so it stays behind: dispose it and start a new one from the same
    /// <see cref="ReplicatedNodeOptions.DataDirectory"/> (and a fresh state), and the log reopens from disk and the node
    /// catches up, as after a process restart (docs/replication.md, "A failed Raft engine").
    /// </summary>
    public Exception? RaftFailure => _raftFailed.Task.IsCompleted ? _raftFailed.Task.Result : null;

    /// <summary>
    /// Completes with <see cref="RaftFailure"/> once this node's Raft engine has failed (checked every 100 ms); never for
    /// a node stopped first, so pass the token that stops it. <c>tailguard cluster node</c> waits on it to restart the node.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The failure.</returns>
    public Task<Exception> WaitForRaftFailureAsync(CancellationToken cancellationToken = default) => _raftFailed.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Starts a replica: restores its newest snapshot and journal from <see cref="ReplicatedNodeOptions.DataDirectory"/>,
    /// opens its Raft log, binds its endpoint, and joins the cluster (elections start at once).
    /// </summary>
    /// <param name="options">The node's settings.</param>
    /// <param name="service">The apply function (a generated dispatcher of a replicated service).</param>
    /// <param name="state">The service's state as snapshots (usually the service implementation itself).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running node.</returns>
    /// <exception cref="ArgumentException">The options are inconsistent (see <see cref="ReplicatedNodeOptions"/>).</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The endpoint could not be bound.</exception>
    public static async Task<ReplicatedNode> StartAsync(ReplicatedNodeOptions options, IReplicatedService service, IReplicatedState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(state);
        options.Validate();
        Directory.CreateDirectory(options.DataDirectory);
        var node = new ReplicatedNode(options, service, state);
        try
        {
            await node.StartCoreAsync(cancellationToken).ConfigureAwait(false);
            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Runs a replica until <paramref name="cancellationToken"/> is cancelled, and starts it again whenever its Raft
    /// engine fails (docs/replication.md, "A failed Raft engine"): the failed node is disposed and a new one starts from
    /// the same <see cref="ReplicatedNodeOptions.DataDirectory"/> with a fresh service and state, restores its snapshot
    /// and journal, and catches up. What a host would otherwise write around <see cref="StartAsync"/> and
    /// <see cref="WaitForRaftFailureAsync"/>.
    /// </summary>
    /// <param name="options">The node's settings, the same for every start.</param>
    /// <param name="create">
    /// Makes the apply function and the state for one start. Called again on every restart: the restarted node rebuilds
    /// its state from disk, so it must not be given the state the failed node applied to.
    /// </param>
    /// <param name="started">
    /// Called after every start with the running node and, on a restart, the failure that caused it (null on the first
    /// start). The node serves until the next call or until this method returns.
    /// </param>
    /// <param name="cancellationToken">Stops the node: it is disposed and the returned task completes.</param>
    /// <returns>Completes once the node has stopped after <paramref name="cancellationToken"/> was cancelled.</returns>
    /// <exception cref="ArgumentException">The options are inconsistent (see <see cref="ReplicatedNodeOptions"/>).</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The endpoint could not be bound.</exception>
    public static async Task RunAsync(
        ReplicatedNodeOptions options,
        Func<(IReplicatedService Service, IReplicatedState State)> create,
        Action<ReplicatedNode, Exception?>? started = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(create);
        Exception? failure = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var (service, state) = create();
            ReplicatedNode node;
            try
            {
                node = await StartAsync(options, service, state, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            await using (node.ConfigureAwait(false))
            {
                started?.Invoke(node, failure);
                try
                {
                    failure = await node.WaitForRaftFailureAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Waits until this node knows a leader (any member, itself included).</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The leader's index, or -1 when none was known in time.</returns>
    public async Task<int> WaitForLeaderAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (LeaderIndex < 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        return LeaderIndex;
    }

    /// <summary>A one-line description of the node (what a FIXED-policy request to its endpoint answers, see the docs).</summary>
    /// <returns>Space-separated key=value pairs.</returns>
    public string DescribeStatus()
        => string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"node={Self} leader={LeaderIndex} term={Term} mode={_options.Mode} applied={AppliedIndex} commit={CommitIndex} log={LogIndex} snapshot={SnapshotIndex} " +
            $"parked={_parked.Count} parked_expired={_parked.Expired} parked_kept={_parked.Kept} pending_replies={_pending.Count} requests={Statistics.Requests} drops={Statistics.Drops} ordered={Statistics.Ordered} adopted={Statistics.Adopted} " +
            $"replies={Statistics.Replies} duplicates={Statistics.Duplicates} recoveries={Statistics.RecoveriesAsked} recovered_for_peers={Statistics.RecoveriesServed} snapshots={Statistics.Snapshots} " +
            $"restored={Statistics.SnapshotsRestored} snapshot_replies={Statistics.SnapshotReplies} multicast={MulticastDatagrams} raft={(RaftFailure is null ? "ok" : "failed")}");

    /// <summary>Stops serving, leaves the cluster (without a membership change) and flushes the log.</summary>
    /// <returns>When stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        _orders.Writer.TryComplete();
        _loop.Stop();
        _transport.Dispose();
        _pending.Clear();
        await _orderer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Volatile.Read(ref _expiryPass).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // it reads the WAL
        await _raftWatch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // so does this
        if (_cluster is not null)
        {
            try
            {
                await _cluster.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                Log(LogLevel.Warning, "stopping Raft failed", error);
            }

            _cluster.Dispose();
        }

        if (_wal is not null)
        {
            Interlocked.Exchange(ref _termAtStop, ((IPersistentState)_wal).Term); // Raft has stopped: the term is final
            await _wal.DisposeAsync().ConfigureAwait(false);
        }

        if (_stateMachine is not null)
        {
            await _stateMachine.DisposeAsync().ConfigureAwait(false);
        }

        _journal.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Flow control (docs/replication.md): whether to admit a new client request or answer DROP.</summary>
    internal bool Admit()
    {
        switch (_options.Mode)
        {
            case ReplicationMode.Unreplicated:
                return true;
            case ReplicationMode.LeaderPayload when !IsLeader:
                Statistics.Drop(); // the baseline's followers send clients on to the next replica
                return false;
            case ReplicationMode.HovercRaft when !IsLeader:
                return true; // followers only park; the leader decides for the cluster
        }

        var wal = _wal!;
        var applied = AppliedIndex;
        var commit = wal.LastCommittedEntryIndex;
        var admit = wal.LastEntryIndex - applied <= _options.MaxApplyLag
            && commit - _view.SlowestActiveFollower(Stopwatch.GetTimestamp()) <= _options.MaxApplyLag
            && !_parked.IsFull;
        if (!admit)
        {
            Statistics.Drop();
        }

        return admit;
    }

    /// <summary>A client request delivered by the replica's loop (on the loop thread).</summary>
    internal void OnClientRequest(RequestKey key, RoutingPolicy policy, byte[] payload, ReceiveLoop loop)
    {
        Statistics.Request();
        var readOnly = policy == RoutingPolicy.ReplicatedReadOnly;
        if (!SessionHeader.TryRead(payload, out _) || (readOnly && !IsRead(payload)))
        {
            // Refused before anything is ordered: a read-only request that writes would change only its replier.
            Statistics.Refuse();
            _sender.Send(key, [(byte)R2P2ServiceStatus.MalformedRequest]);
            return;
        }

        var hash = PayloadHash.Of(payload);
        switch (_options.Mode)
        {
            case ReplicationMode.Unreplicated:
            {
                var index = Interlocked.Increment(ref _unreplicatedIndex);
                var response = readOnly ? _applier.ApplyRead(payload) : _applier.ApplyWrite(payload, index);
                if (response is not null)
                {
                    _sender.Send(key, response);
                }

                return;
            }

            case ReplicationMode.LeaderPayload:
            {
                var kind = readOnly ? EntryKind.ReadWithPayload : EntryKind.WriteWithPayload;
                Order(new EntryMetadata(kind, (byte)Self, key, hash, payload.Length), payload);
                return;
            }
        }

        // Read once: a request parked unordered is one a new leader adopts (AdoptUnordered).
        var leading = IsLeader;
        if (!_parked.TryPark(key, payload, hash, default, Stopwatch.GetTimestamp(), ordered: leading))
        {
            return; // a duplicate datagram of a request parked already
        }

        if (leading)
        {
            if (!_repliers.TryChoose(Stopwatch.GetTimestamp(), Term, _options.Replies, out var replier))
            {
                replier = (byte)Self; // every replica at its bound since admission: the leader takes it
            }

            Order(new EntryMetadata(readOnly ? EntryKind.Read : EntryKind.Write, replier, key, hash, payload.Length), payload);
        }
    }

    // A service request the service says only reads. A session registration (the header alone) never is: it is ordered
    // and applied as a write on every replica.
    private bool IsRead(byte[] payload) =>
        payload.Length > SessionHeader.Size && _service.IsReadOnly(payload.AsSpan(SessionHeader.Size));

    /// <summary>A replica message from a member (on the loop thread).</summary>
    internal void OnPeerMessage(R2P2.Protocol.MessageType type, PacketBuffer packet, int from, ReceiveLoop loop)
    {
        var datagram = packet.Span;
        switch (type)
        {
            case R2P2.Protocol.MessageType.RaftMessage when PeerMessages.TryReadStatus(datagram, out var status) && status.From == from:
                Statistics.PeerMessage();
                _view.Update(status, Stopwatch.GetTimestamp());
                _pending.Release(_view.DurableIndex(), _sender);
                return;
            case R2P2.Protocol.MessageType.RaftRequest when PeerMessages.TryReadRecover(datagram, out var asker, out var index, out var key, out var hash) && asker == from:
            {
                Statistics.PeerMessage();
                var payload = _parked.Find(key, hash) ?? _journal.Find(index, hash);
                var reply = _transport.Rent(PeerMessages.RecoveredHeaderLength + (payload?.Length ?? 0));
                reply.Length = PeerMessages.WriteRecovered(reply.Storage, index, hash, payload, payload is not null);
                reply.Address = _members[from];
                loop.Send(reply);
                if (payload is not null)
                {
                    Statistics.RecoveryServed();
                }

                return;
            }

            case R2P2.Protocol.MessageType.RaftReply when PeerMessages.TryReadRecovered(datagram, out var found, out var index, out var hash, out var payload):
                Statistics.PeerMessage();
                _recovery.OnRecovered(found, index, hash, payload);
                return;
            default:
                Statistics.RejectedPeerMessage();
                return;
        }
    }

    /// <summary>The loop's 1 ms tick: STATUS to peers, expiry of parked payloads, recovery retries, durable replies.</summary>
    internal long OnTick(ReceiveLoop loop, long now)
    {
        SendStatus(now, force: false, loop);
        AdoptUnordered();
        StartExpiryPass(now);
        _recovery.Retry(now);
        _pending.Release(_view.DurableIndex(), _sender);
        return now + _tickTicks;
    }

    /// <summary>
    /// A new leader orders the requests parked before it could order them (docs/replication.md, "Failure behaviour"):
    /// clients fan every request out to every replica, so the requests that arrived during the election, or at this
    /// node just before its first entry committed, wait here, and without this their clients would wait one
    /// <c>AttemptTimeout</c> each to retry. The log is read off the loop thread, as for expiry: a request an entry in
    /// this replica's log names already (the old leader's, still to be applied) is not ordered twice.
    /// </summary>
    private void AdoptUnordered()
    {
        if (_options.Mode != ReplicationMode.HovercRaft)
        {
            return;
        }

        var leading = IsLeader;
        var term = Term;
        if (_adoptionTurn.TryBegin(leading, term, readUnderWay: _adoption is not null))
        {
            var parked = _parked.Unordered();
            if (parked.Count > 0)
            {
                _adoption = Task.Run(() => UnnamedAsync(parked));
            }
        }

        if (_adoption is not { IsCompleted: true } adoption)
        {
            return;
        }

        _adoption = null;
        // Leadership lost meanwhile (the next leader adopts, or this node again in its new term from a fresh read), or
        // the log could not be read (logged; clients retry).
        if (!_adoptionTurn.MayAdopt(leading, term) || !adoption.IsCompletedSuccessfully)
        {
            return;
        }

        foreach (var (key, hash) in adoption.Result)
        {
            // Applied meanwhile (taken out of the table), or flow control says no more: those clients retry.
            if (_parked.Find(key, hash) is not { } payload)
            {
                continue;
            }

            if (!Admit())
            {
                break;
            }

            if (!_repliers.TryChoose(Stopwatch.GetTimestamp(), Term, _options.Replies, out var replier))
            {
                replier = (byte)Self;
            }

            var kind = IsRead(payload) ? EntryKind.Read : EntryKind.Write;
            Order(new EntryMetadata(kind, replier, key, hash, payload.Length), payload);
            Statistics.Adopt();
        }
    }

    private async Task<List<(RequestKey Key, ulong Hash)>> UnnamedAsync(List<(RequestKey Key, ulong Hash)> parked)
    {
        try
        {
            var named = await KeysNamedByUnappliedEntriesAsync(_stopping.Token).ConfigureAwait(false);
            parked.RemoveAll(request => named.Contains(request.Key));
            return parked;
        }
        catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException && _stopping.IsCancellationRequested)
        {
            return [];
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            Log(LogLevel.Warning, "reading the log to order the requests parked before this node led failed", error);
            return [];
        }
    }

    /// <summary>
    /// Starts an expiry pass of the parked table when a payload in it is past the timeout and no pass runs (at most one
    /// every <see cref="ExpiryPassInterval"/>). The pass reads the log off the loop thread: a payload that an entry this
    /// replica has not applied yet names is kept, since that entry may commit long after it was ordered (a leader
    /// partitioned, a slow election) and every replica applying it needs the payload from someone
    /// (docs/replication.md, "Parking and joining").
    /// </summary>
    private void StartExpiryPass(long now)
    {
        if (now < _nextExpiryPass || !_expiryPass.IsCompleted || !_parked.HasStale(now))
        {
            return;
        }

        _nextExpiryPass = now + _expiryPassTicks;
        Volatile.Write(ref _expiryPass, Task.Run(() => ExpireParkedAsync(now)));
    }

    private async Task ExpireParkedAsync(long now)
    {
        try
        {
            _parked.Expire(now, await KeysNamedByUnappliedEntriesAsync(_stopping.Token).ConfigureAwait(false));
        }
        catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException && _stopping.IsCancellationRequested)
        {
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // Nothing is dropped by age this pass (the count bound still holds); the next pass reads the log again.
            Log(LogLevel.Warning, "reading the log to expire parked payloads failed", error);
        }
    }

    /// <summary>The request keys the entries after the applied index in this replica's log name.</summary>
    private async Task<HashSet<RequestKey>> KeysNamedByUnappliedEntriesAsync(CancellationToken cancellationToken)
    {
        var named = new HashSet<RequestKey>();
        if (_wal is not { } wal)
        {
            return named; // not started (or unreplicated): no log names anything
        }

        var last = wal.LastEntryIndex;
        for (var first = AppliedIndex + 1; first <= last; first += ExpiryReadBatch)
        {
            using var entries = await wal.ReadAsync(first, Math.Min(last, first + ExpiryReadBatch - 1), cancellationToken).ConfigureAwait(false);
            foreach (var entry in entries)
            {
                if (RequestEntries.TryGetBytes(entry, out var bytes) && EntryMetadata.TryDecode(bytes, out var metadata, out _))
                {
                    named.Add(metadata.Key);
                }
            }
        }

        return named;
    }

    /// <summary>Which member sent a datagram (-1 for anyone else).</summary>
    internal int MemberOf(PacketAddress source) => Array.IndexOf(_members, source);

    internal void Log(LogLevel level, string message, Exception? error = null)
    {
        if (_options.Logger is { } logger)
        {
            ReplicaLog.Write(logger, level, Self, message, error);
        }
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        if (_options.Mode == ReplicationMode.Unreplicated)
        {
            _journal.Load(0);
            _loop.Start();
            return;
        }

        var data = _options.DataDirectory;
        _stateMachine = new ReplicatedStateMachine(new DirectoryInfo(Path.Combine(data, "snapshots")), _applier, State, _journal, _applyHost, Statistics, _options.SnapshotInterval);
        await _stateMachine.RestoreAsync(cancellationToken).ConfigureAwait(false);
        _journal.Load(Math.Max(0, _stateMachine.SnapshotIndex));
        _wal = new WriteAheadLog(new WriteAheadLog.Options { Location = Path.Combine(data, "wal") }, _stateMachine);

        var lower = (int)_options.LowerElectionTimeout.TotalMilliseconds;
        var configuration = new RaftCluster.TcpConfiguration(_options.Members[Self])
        {
            LowerElectionTimeout = lower,
            UpperElectionTimeout = (int)_options.UpperElectionTimeout.TotalMilliseconds,
            RequestTimeout = TimeSpan.FromMilliseconds(Math.Max(10, lower * 9 / 10)),
            ColdStart = false,
            ConfigurationStorage = null!, // null asks DotNext for its in-memory storage, filled below: a static membership
        };
        var storage = (InMemoryClusterConfigurationStorage<EndPoint>)configuration.ConfigurationStorage;
        var builder = storage.CreateInitialConfigurationBuilder();
        foreach (var member in _options.Members)
        {
            builder.Add(member);
        }

        builder.Build();
        _cluster = new RaftCluster(configuration) { AuditTrail = _wal };
        _cluster.LeaderChanged += OnLeaderChanged;
        _loop.Start();
        await _cluster.StartAsync(cancellationToken).ConfigureAwait(false);
        _orderer = Task.Run(OrderLoopAsync, CancellationToken.None);
        _raftWatch = WatchRaftAsync(_wal, _cluster);
    }

    /// <summary>Fault injection for tests of what hosts do with a failed engine: reports <paramref name="failure"/> as the watch would.</summary>
    internal void ReportRaftFailure(Exception failure)
    {
        Log(LogLevel.Critical, "the Raft engine failed, so this replica can no longer append, apply or vote; restart it from its data directory (docs/replication.md, \"A failed Raft engine\")", failure);
        _raftFailed.TrySetResult(failure);
    }

    /// <summary>Reports a failed Raft engine once, loudly: nothing else in this replica would (docs/replication.md, "A failed Raft engine").</summary>
    private async Task WatchRaftAsync(WriteAheadLog wal, RaftCluster cluster)
    {
        if (await RaftWatch.WatchAsync(wal, cluster, RaftWatchInterval, _stopping.Token).ConfigureAwait(false) is not { } failure)
        {
            return;
        }

        ReportRaftFailure(failure);
    }

    private void OnLeaderChanged(RaftCluster<RaftClusterMember> cluster, RaftClusterMember? leader)
    {
        var index = leader is null ? -1 : Array.FindIndex(_options.Members.ToArray(), m => m.Equals(leader.EndPoint));
        if (index == Self && Volatile.Read(ref _leader) != Self)
        {
            _repliers.Reset(); // a new term of leadership: outstanding replies count from here
        }

        Volatile.Write(ref _leader, index);
        Log(LogLevel.Information, index < 0 ? "no leader" : $"leader is {index} (term {Term})");
        LeaderChanged?.Invoke(index);
    }

    private void Order(EntryMetadata metadata, byte[] payload)
    {
        if (!_orders.Writer.TryWrite((metadata, payload)))
        {
            Statistics.OrderFailure(); // stopping
        }
    }

    // Appends on a task of its own so the receive loop never waits on the log; DotNext coalesces the replication.
    private async Task OrderLoopAsync()
    {
        var cluster = _cluster!;
        var reader = _orders.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var order))
                {
                    var entry = order.Metadata.Encode(order.Payload);
                    Statistics.Order();
                    _ = ReplicateAsync(cluster, entry);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task ReplicateAsync(RaftCluster cluster, byte[] entry)
    {
        try
        {
            await cluster.ReplicateAsync(entry, context: null, _stopping.Token).ConfigureAwait(false);
            PushCommit(cluster);
        }
        catch (Exception error) when (error is NotLeaderException or OperationCanceledException or ObjectDisposedException or QuorumUnreachableException)
        {
            // Leadership moved or the node stops: the client's retry goes through the next leader.
            Statistics.OrderFailure();
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            Statistics.OrderFailure();
            Log(LogLevel.Warning, "appending an entry failed", error);
        }
    }

    // Followers learn the commit index only from the leader's next append: without this push that is the next heartbeat
    // (half the lower election timeout, 75 ms by default), and every follower's apply, every reply from a follower and
    // every durable reply waited for it. One push runs at a time; commits during it ask for one more round after it.
    private void PushCommit(RaftCluster cluster)
    {
        if (Interlocked.Increment(ref _commitPushes) == 1)
        {
            _ = PushCommitAsync(cluster);
        }
    }

    private async Task PushCommitAsync(RaftCluster cluster)
    {
        try
        {
            long asked;
            do
            {
                asked = Interlocked.Read(ref _commitPushes);
                await cluster.ForceReplicationAsync(_stopping.Token).ConfigureAwait(false);
            }
            while (Interlocked.Add(ref _commitPushes, -asked) != 0);
        }
        catch (Exception error) when (error is NotLeaderException or OperationCanceledException or ObjectDisposedException or QuorumUnreachableException)
        {
            Interlocked.Exchange(ref _commitPushes, 0); // leadership moved or stopping: the next leader's heartbeats carry its commits
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            Interlocked.Exchange(ref _commitPushes, 0);
            Log(LogLevel.Warning, "pushing the commit index to the followers failed", error);
        }
    }

    private void SendStatus(long now, bool force, ReceiveLoop? loop)
    {
        if (_members.Length == 1 || _options.Mode == ReplicationMode.Unreplicated)
        {
            return;
        }

        var applied = AppliedIndex;
        var last = Interlocked.Read(ref _lastStatusSent);
        var changed = applied != Interlocked.Read(ref _lastStatusApplied);
        var due = changed ? (force ? now - last >= _tickTicks / 8 : now - last >= _tickTicks) : now - last >= _heartbeatTicks;
        if (!due || Interlocked.CompareExchange(ref _lastStatusSent, now, last) != last)
        {
            return;
        }

        Interlocked.Exchange(ref _lastStatusApplied, applied);
        var status = new PeerStatus((byte)Self, Volatile.Read(ref _boot), Term, applied, LogIndex, Interlocked.Read(ref _handled));
        for (var m = 0; m < _members.Length; m++)
        {
            if (m == Self)
            {
                continue;
            }

            var buffer = _transport.Rent(PeerMessages.StatusLength);
            buffer.Length = PeerMessages.WriteStatus(buffer.Storage, status);
            buffer.Address = _members[m];
            try
            {
                if (loop is not null)
                {
                    loop.Send(buffer);
                }
                else
                {
                    _transport.Send(new ReadOnlySpan<PacketBuffer>(ref buffer));
                }
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    /// <summary>The state machine's view of its replica (a separate object keeps these members off the node's surface).</summary>
    private sealed class ApplyHost(ReplicatedNode node) : IApplyHost
    {
        public int Self => node.Self;

        public bool DurableReplies => node._options.DurableReplies;

        public TimeSpan ApplyDelay => node._options.ApplyDelay;

        public byte[]? TakeParked(in EntryMetadata metadata)
        {
            if (!node._parked.TryTake(metadata.Key, metadata.PayloadHash, out var payload, out _))
            {
                return null;
            }

            if (payload is null)
            {
                node.Statistics.PayloadMismatch();
            }

            return payload;
        }

        public async Task<byte[]> RecoverAsync(long index, EntryMetadata metadata, CancellationToken cancellationToken)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, node._stopping.Token);
            var started = Stopwatch.GetTimestamp();
            var recovery = node._recovery.RecoverAsync(index, metadata.Key, metadata.PayloadHash, linked.Token);
            while (true)
            {
                var finished = await Task.WhenAny(recovery, Task.Delay(TimeSpan.FromSeconds(5), linked.Token)).ConfigureAwait(false);
                if (finished == recovery)
                {
                    return await recovery.ConfigureAwait(false);
                }

                linked.Token.ThrowIfCancellationRequested();
                node.Log(LogLevel.Warning, $"still recovering the payload of entry {index} ({metadata.Key}) after {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s: no live member has it yet");
            }
        }

        public void Reply(long index, in EntryMetadata metadata, byte[] response, bool durable)
        {
            if (durable && node._view.DurableIndex() < index)
            {
                node._pending.Add(index, metadata.Key, response);
                node._pending.Release(node._view.DurableIndex(), node._sender);
                return;
            }

            node._sender.Send(metadata.Key, response);
        }

        public void Restored(long index)
        {
            node.Statistics.SnapshotRestored();

            // The snapshot ran entries this replica never applied, and the leader may have made it the replier of some
            // (it picks among replicas that are behind): their clients would each wait out an attempt timeout. Answer
            // every parked write the restored session table has a response for (any replica may answer: a second
            // answer to a rid is ignored), and forget the parked calls the snapshot settled.
            var sessions = node._applier.Sessions;
            List<(RequestKey Key, byte[] Response)>? owed = null;
            node._parked.TakeSettled((key, payload) =>
            {
                if (!SessionHeader.TryRead(payload, out var header))
                {
                    return false;
                }

                switch (sessions.Peek(header, out var stored))
                {
                    case SessionOutcome.Duplicate:
                        (owed ??= []).Add((key, stored!));
                        return true;
                    case SessionOutcome.Stale:
                        return true;
                    default:
                        return false; // not run yet (a later entry), a read, or expired: its entry or the client's retry settles it
                }
            });

            foreach (var (key, response) in owed ?? [])
            {
                node._sender.Send(key, response);
                node.Statistics.SnapshotReply();
            }

            // The skipped entries will never count as handled here, so the leader would count them outstanding forever
            // and stop choosing this replica: a new incarnation makes it count this replica's replies from zero.
            uint boot;
            do
            {
                boot = (uint)Random.Shared.Next();
            }
            while (boot == Volatile.Read(ref node._boot));

            Interlocked.Exchange(ref node._handled, 0);
            Volatile.Write(ref node._boot, boot);
            node._view.NewSelfIncarnation();
            Applied(index, handled: false);
        }

        public void Applied(long index, bool handled)
        {
            var count = handled ? Interlocked.Increment(ref node._handled) : Interlocked.Read(ref node._handled);
            node._view.SetSelf(index, count);
            node._pending.Release(node._view.DurableIndex(), node._sender);
            node.SendStatus(Stopwatch.GetTimestamp(), force: true, loop: null);
        }

        public void Report(string message, Exception? error = null) => node.Log(LogLevel.Warning, message, error);
    }
}
