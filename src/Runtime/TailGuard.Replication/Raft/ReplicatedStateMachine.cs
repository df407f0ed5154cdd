using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using TailGuard.Replication.Log;
using TailGuard.Replication.Payloads;

namespace TailGuard.Replication.Raft;

/// <summary>
/// The replicated state as DotNext's WAL sees it (docs/replication.md, "Applying"): every committed entry, in order, is
/// joined with its payload (from the entry itself, the parked table, the journal, or a peer) and applied; the replier
/// answers. The whole state (the service's and the session table) lives in memory; DotNext's
/// <see cref="SimpleStateMachine"/> persists it as a snapshot every <c>SnapshotInterval</c> entries, and the WAL drops
/// the entries a snapshot covers, so the log stays bounded. A replica that restarts reloads its newest snapshot and
/// replays the log after it; a replica too far behind receives the leader's snapshot.
/// </summary>
internal sealed class ReplicatedStateMachine : SimpleStateMachine
{
    // "TGR2": sessions carry their epoch (docs/replication.md, "Exactly-once effects"). "TGR1" snapshots, of versions
    // before sessions were registered, are refused with a message that says so.
    private const uint Magic = 0x54475232;
    private const uint MagicBeforeEpochs = 0x54475231;
    private readonly RequestApplier _applier;
    private readonly IReplicatedState _state;
    private readonly PayloadJournal _journal;
    private readonly IApplyHost _host;
    private readonly ReplicatedNodeStatistics _statistics;
    private readonly int _snapshotInterval;
    private readonly ArrayBufferWriter<byte> _snapshot = new();
    private readonly ArrayBufferWriter<byte> _stateBytes = new();
    private long _applied;
    private long _sinceSnapshot;
    private long _snapshotIndex = -1;
    private long _rotateAt = -1;

    public ReplicatedStateMachine(DirectoryInfo location, RequestApplier applier, IReplicatedState state, PayloadJournal journal, IApplyHost host, ReplicatedNodeStatistics statistics, int snapshotInterval)
        : base(location)
    {
        _applier = applier;
        _state = state;
        _journal = journal;
        _host = host;
        _statistics = statistics;
        _snapshotInterval = snapshotInterval;
    }

    /// <summary>The last index applied (or restored from a snapshot).</summary>
    public long AppliedIndex => Volatile.Read(ref _applied);

    /// <summary>The index of the snapshot last restored or taken (-1 when none).</summary>
    public long SnapshotIndex => Volatile.Read(ref _snapshotIndex);

    protected override async ValueTask<bool> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        if (_rotateAt >= 0)
        {
            // SimpleStateMachine finished writing the snapshot of _rotateAt before calling us again.
            _journal.Rotate(_rotateAt);
            Volatile.Write(ref _snapshotIndex, _rotateAt);
            _statistics.Snapshot();
            _rotateAt = -1;
        }

        var index = entry.Index;
        if (RequestEntries.TryGetBytes(entry, out var bytes))
        {
            if (EntryMetadata.TryDecode(bytes, out var metadata, out var carried))
            {
                var payload = metadata.CarriesPayload ? carried.ToArray() : null;
                if (_host.ApplyDelay > TimeSpan.Zero)
                {
                    await Task.Delay(_host.ApplyDelay, token).ConfigureAwait(false);
                }

                var handled = metadata.Replier == _host.Self;
                if (metadata.IsRead)
                {
                    await ApplyReadAsync(index, metadata, payload).ConfigureAwait(false);
                }
                else
                {
                    await ApplyWriteAsync(index, metadata, payload, token).ConfigureAwait(false);
                }

                Publish(index, handled);
            }
            else
            {
                _host.Report($"entry {index} is not a replicated request; skipped on every replica alike");
                Publish(index, handled: false);
            }
        }
        else
        {
            Publish(index, handled: false);
        }

        if (++_sinceSnapshot < _snapshotInterval)
        {
            return false;
        }

        _sinceSnapshot = 0;
        _rotateAt = index;
        WriteSnapshot(index);
        return true;
    }

    protected override ValueTask PersistAsync(IAsyncBinaryWriter writer, CancellationToken token)
        => writer.Invoke(_snapshot.WrittenMemory, token);

    protected override async ValueTask RestoreAsync(FileInfo snapshotFile, CancellationToken token)
    {
        var bytes = await File.ReadAllBytesAsync(snapshotFile.FullName, token).ConfigureAwait(false);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        if (reader.TryReadBigEndian(out int magic) && (uint)magic == MagicBeforeEpochs)
        {
            throw new InvalidDataException($"{snapshotFile.FullName} was written by an earlier TailGuard, whose client sessions had no epoch: start this node from an empty data directory (it catches up from its peers).");
        }

        if ((uint)magic != Magic || !reader.TryReadBigEndian(out long index))
        {
            throw new InvalidDataException($"{snapshotFile.FullName} is not a TailGuard replication snapshot.");
        }

        _applier.Sessions.Read(ref reader);
        if (!reader.TryReadBigEndian(out int length) || length < 0 || reader.Remaining != length)
        {
            throw new InvalidDataException($"{snapshotFile.FullName} is truncated.");
        }

        _state.ReadSnapshot(reader.UnreadSequence);
        Volatile.Write(ref _applied, index);
        Volatile.Write(ref _snapshotIndex, index);
        _sinceSnapshot = 0;
        _host.Restored(index);
    }

    private async ValueTask ApplyWriteAsync(long index, EntryMetadata metadata, byte[]? payload, CancellationToken token)
    {
        if (payload is null)
        {
            payload = _host.TakeParked(metadata) ?? _journal.Find(index, metadata.PayloadHash);
            if (payload is null)
            {
                payload = await _host.RecoverAsync(index, metadata, token).ConfigureAwait(false);
            }

            // Before anyone hears of this write: a restart replays it from here (docs/replication.md, "Durability").
            _journal.Append(index, metadata.PayloadHash, payload);
        }

        var response = _applier.ApplyWrite(payload, index);
        if (metadata.Replier == _host.Self && response is not null)
        {
            _host.Reply(index, metadata, response, durable: !metadata.CarriesPayload && _host.DurableReplies);
        }
    }

    private ValueTask ApplyReadAsync(long index, EntryMetadata metadata, byte[]? payload)
    {
        // Every replica drops its parked copy; only the replier runs the read. A replier that lost the payload does
        // not answer: a read changes nothing, so the client's retry is safe and cheaper than a recovery.
        payload ??= _host.TakeParked(metadata);
        if (metadata.Replier == _host.Self && payload is not null)
        {
            _host.Reply(index, metadata, _applier.ApplyRead(payload), durable: false);
        }

        return ValueTask.CompletedTask;
    }

    private void Publish(long index, bool handled)
    {
        Volatile.Write(ref _applied, index);
        _statistics.Apply();
        _host.Applied(index, handled);
    }

    private void WriteSnapshot(long index)
    {
        _snapshot.ResetWrittenCount();
        var header = _snapshot.GetSpan(12);
        BinaryPrimitives.WriteUInt32BigEndian(header, Magic);
        BinaryPrimitives.WriteInt64BigEndian(header[4..], index);
        _snapshot.Advance(12);
        _applier.Sessions.Write(_snapshot);
        _stateBytes.ResetWrittenCount();
        _state.WriteSnapshot(_stateBytes);
        BinaryPrimitives.WriteInt32BigEndian(_snapshot.GetSpan(4), _stateBytes.WrittenCount);
        _snapshot.Advance(4);
        _snapshot.Write(_stateBytes.WrittenSpan);
    }
}
