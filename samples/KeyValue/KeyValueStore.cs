using System;
using System.Collections.Generic;

namespace TailGuard.Samples.KeyValue;

/// <summary>
/// An in-memory store. The server runs it on one receive loop, so it is never called concurrently; Get and an
/// overwrite of an equal-length value allocate nothing.
/// </summary>
internal sealed class KeyValueStore : IKeyValue
{
    public const int MaxKeyBytes = 256;
    public const int MaxValueBytes = 4096;

    private readonly Dictionary<byte[], byte[]> _values = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], byte[]>.AlternateLookup<ReadOnlySpan<byte>> _byView;

    public KeyValueStore() => _byView = _values.GetAlternateLookup<ReadOnlySpan<byte>>();

    public bool Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (_byView.TryGetValue(key, out byte[]? stored) && stored.Length == value.Length)
        {
            value.CopyTo(stored);
            return true;
        }

        // New key or new length: the store keeps its own copy (the arguments are views into the receive buffer).
        _byView[key] = value.ToArray();
        return true;
    }

    public int Get(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        if (!_byView.TryGetValue(key, out byte[]? value))
        {
            return -1;
        }

        if (!value.AsSpan().TryCopyTo(destination))
        {
            return -value.Length;
        }

        return value.Length;
    }

    public bool Delete(ReadOnlySpan<byte> key) => _byView.Remove(key);

    public int Count() => _values.Count;
}
