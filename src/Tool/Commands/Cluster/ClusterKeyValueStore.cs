using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using TailGuard.Replication;

namespace TailGuard.Tool.Commands.Cluster;

/// <summary>
/// The state of <see cref="IClusterKeyValue"/>: deterministic (ordinal dictionaries, no clock, no randomness), bounded
/// in key and value size, and snapshotted in key order so two replicas with the same state write the same bytes.
/// </summary>
public sealed class ClusterKeyValueStore : IClusterKeyValue, IReplicatedState
{
    /// <summary>Longest key in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 128;

    /// <summary>Longest byte value.</summary>
    public const int MaxValueBytes = 1024;

    private readonly Dictionary<string, long> _registers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _values = new(StringComparer.Ordinal);

    /// <summary>How many registers and values are stored.</summary>
    public int Count => _registers.Count + _values.Count;

    /// <inheritdoc/>
    public long Read(string key) => _registers.TryGetValue(key, out var value) ? value : 0;

    /// <inheritdoc/>
    public void Write(string key, long value) => _registers[key] = value;

    /// <inheritdoc/>
    public bool CompareAndSwap(string key, long expected, long value)
    {
        if (Read(key) != expected)
        {
            return false;
        }

        _registers[key] = value;
        return true;
    }

    /// <inheritdoc/>
    public long Increment(string key) => _registers[key] = Read(key) + 1;

    /// <inheritdoc/>
    public int Put(string key, ReadOnlySpan<byte> value)
    {
        _values[key] = value.ToArray();
        return value.Length;
    }

    /// <inheritdoc/>
    public int Fetch(string key, Span<byte> destination)
    {
        if (!_values.TryGetValue(key, out var value))
        {
            return -1;
        }

        var length = Math.Min(value.Length, destination.Length);
        value.AsSpan(0, length).CopyTo(destination);
        return length;
    }

    /// <inheritdoc/>
    public void WriteSnapshot(IBufferWriter<byte> output)
    {
        WriteInt(output, _registers.Count);
        foreach (var (key, value) in _registers.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            WriteBytes(output, Encoding.UTF8.GetBytes(key));
            BinaryPrimitives.WriteInt64BigEndian(output.GetSpan(8), value);
            output.Advance(8);
        }

        WriteInt(output, _values.Count);
        foreach (var (key, value) in _values.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            WriteBytes(output, Encoding.UTF8.GetBytes(key));
            WriteBytes(output, value);
        }
    }

    /// <inheritdoc/>
    public void ReadSnapshot(ReadOnlySequence<byte> snapshot)
    {
        var reader = new SequenceReader<byte>(snapshot);
        _registers.Clear();
        _values.Clear();
        for (var i = ReadInt(ref reader); i > 0; i--)
        {
            var key = Encoding.UTF8.GetString(ReadBytes(ref reader, MaxKeyBytes));
            _registers[key] = reader.TryReadBigEndian(out long value) ? value : throw Truncated();
        }

        for (var i = ReadInt(ref reader); i > 0; i--)
        {
            var key = Encoding.UTF8.GetString(ReadBytes(ref reader, MaxKeyBytes));
            _values[key] = ReadBytes(ref reader, MaxValueBytes);
        }
    }

    private static void WriteInt(IBufferWriter<byte> output, int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    private static void WriteBytes(IBufferWriter<byte> output, byte[] bytes)
    {
        WriteInt(output, bytes.Length);
        output.Write(bytes);
    }

    private static int ReadInt(ref SequenceReader<byte> reader)
        => reader.TryReadBigEndian(out int value) && value >= 0 ? value : throw Truncated();

    private static byte[] ReadBytes(ref SequenceReader<byte> reader, int max)
    {
        var length = ReadInt(ref reader);
        if (length > max || reader.Remaining < length)
        {
            throw Truncated();
        }

        var bytes = new byte[length];
        reader.TryCopyTo(bytes);
        reader.Advance(length);
        return bytes;
    }

    private static InvalidDataException Truncated() => new("The key-value snapshot is truncated or corrupt.");
}
