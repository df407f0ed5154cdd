using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using TailGuard.Replication;

namespace TailGuard.Samples.ReplicatedKeyValue;

/// <summary>
/// The state each replica holds: a dictionary, deterministic (no clock, no randomness, no I/O: the TG5xxx analyzers
/// check), and its snapshot in a canonical form (keys in ordinal order) so equal states write equal bytes.
/// </summary>
public sealed class ReplicatedKeyValueStore : IReplicatedKeyValue, IReplicatedState
{
    private readonly Dictionary<string, long> _values = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public long Read(string key) => _values.TryGetValue(key, out var value) ? value : -1;

    /// <inheritdoc/>
    public int Put(string key, long value)
    {
        _values[key] = value;
        return _values.Count;
    }

    /// <inheritdoc/>
    public void WriteSnapshot(IBufferWriter<byte> output)
    {
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(number, _values.Count);
        output.Write(number[..4]);
        foreach (var (key, value) in _values.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var bytes = Encoding.UTF8.GetBytes(key);
            BinaryPrimitives.WriteInt32BigEndian(number, bytes.Length);
            output.Write(number[..4]);
            output.Write(bytes);
            BinaryPrimitives.WriteInt64BigEndian(number, value);
            output.Write(number);
        }
    }

    /// <inheritdoc/>
    public void ReadSnapshot(ReadOnlySequence<byte> snapshot)
    {
        var reader = new SequenceReader<byte>(snapshot);
        _values.Clear();
        if (!reader.TryReadBigEndian(out int count))
        {
            throw new InvalidOperationException("empty snapshot");
        }

        for (var i = 0; i < count; i++)
        {
            if (!reader.TryReadBigEndian(out int length) || length < 0 || length > reader.Remaining)
            {
                throw new InvalidOperationException("truncated snapshot");
            }

            var key = Encoding.UTF8.GetString(reader.UnreadSequence.Slice(0, length));
            reader.Advance(length);
            if (!reader.TryReadBigEndian(out long value))
            {
                throw new InvalidOperationException("truncated snapshot");
            }

            _values[key] = value;
        }
    }
}
