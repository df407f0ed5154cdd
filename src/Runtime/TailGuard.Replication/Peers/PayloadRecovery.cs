using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Replication.Payloads;

namespace TailGuard.Replication.Peers;

/// <summary>
/// Fetches payloads a replica lacks for entries it must apply (docs/replication.md, "Recovery"): RECOVER goes to the
/// leader first, then to the other members in turn, every <see cref="RetryInterval"/>, until one answers with a
/// payload of the right hash. Never gives up on its own (a write's payload is needed: skipping it would make this
/// replica diverge); the caller's token ends the wait. Thread-safe.
/// </summary>
internal sealed class PayloadRecovery
{
    public static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(10);

    private readonly object _sync = new();
    private readonly Dictionary<long, Pending> _pending = new();
    private readonly PacketTransport _transport;
    private readonly IReadOnlyList<PacketAddress> _members;
    private readonly byte _self;
    private readonly Func<int> _leader;
    private readonly ReplicatedNodeStatistics _statistics;
    private readonly long _retryTicks = (long)(RetryInterval.TotalSeconds * Stopwatch.Frequency);

    public PayloadRecovery(PacketTransport transport, IReadOnlyList<PacketAddress> members, int self, Func<int> leader, ReplicatedNodeStatistics statistics)
    {
        _transport = transport;
        _members = members;
        _self = (byte)self;
        _leader = leader;
        _statistics = statistics;
    }

    public int PendingCount
    {
        get
        {
            lock (_sync)
            {
                return _pending.Count;
            }
        }
    }

    public async Task<byte[]> RecoverAsync(long index, RequestKey key, ulong hash, CancellationToken cancellationToken)
    {
        Pending pending;
        lock (_sync)
        {
            if (!_pending.TryGetValue(index, out pending!) || pending.Hash != hash)
            {
                pending = new Pending(key, hash);
                _pending[index] = pending;
            }
        }

        _statistics.RecoveryAsked();
        Ask(index, pending, Stopwatch.GetTimestamp());
        try
        {
            return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_sync)
            {
                if (_pending.TryGetValue(index, out var current) && ReferenceEquals(current, pending))
                {
                    _pending.Remove(index);
                }
            }
        }
    }

    public void OnRecovered(bool found, long index, ulong hash, ReadOnlySpan<byte> payload)
    {
        if (!found)
        {
            return; // the next retry asks another member
        }

        Pending? pending;
        lock (_sync)
        {
            if (!_pending.TryGetValue(index, out pending) || pending.Hash != hash)
            {
                return;
            }
        }

        pending.Completion.TrySetResult(payload.ToArray());
    }

    /// <summary>Asks again for every payload whose last request got no useful answer in time.</summary>
    public void Retry(long now)
    {
        List<(long, Pending)>? due = null;
        lock (_sync)
        {
            foreach (var (index, pending) in _pending)
            {
                if (now - pending.LastAsked >= _retryTicks)
                {
                    (due ??= []).Add((index, pending));
                }
            }
        }

        if (due is not null)
        {
            foreach (var (index, pending) in due)
            {
                Ask(index, pending, now);
            }
        }
    }

    private void Ask(long index, Pending pending, long now)
    {
        int target;
        lock (_sync)
        {
            pending.LastAsked = now;
            target = NextTarget(pending);
        }

        if (target < 0)
        {
            return;
        }

        var buffer = _transport.Rent(PeerMessages.RecoverLength);
        buffer.Length = PeerMessages.WriteRecover(buffer.Storage, _self, index, pending.Key, pending.Hash);
        buffer.Address = _members[target];
        try
        {
            _transport.Send(new ReadOnlySpan<PacketBuffer>(ref buffer));
        }
        catch (ObjectDisposedException)
        {
            // Stopping.
        }
    }

    // The leader first (it parked every payload it ordered), then every other member in turn.
    private int NextTarget(Pending pending)
    {
        var members = _members.Count;
        if (members == 1)
        {
            return -1;
        }

        var leader = _leader();
        if (pending.Attempt++ == 0 && leader >= 0 && leader != _self)
        {
            return leader;
        }

        for (var k = 0; k < members; k++)
        {
            var candidate = (pending.Cursor + k) % members;
            if (candidate != _self)
            {
                pending.Cursor = candidate + 1;
                return candidate;
            }
        }

        return -1;
    }

    private sealed class Pending(RequestKey key, ulong hash)
    {
        public RequestKey Key { get; } = key;

        public ulong Hash { get; } = hash;

        public TaskCompletionSource<byte[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long LastAsked;
        public int Attempt;
        public int Cursor;
    }
}
