using System;
using System.Collections.Generic;

namespace TailGuard.EndToEnd.Tests.Services;

/// <summary>A store with one fixed-size slot per single-byte key: allocation-free after Put of a known key.</summary>
internal sealed class Store : IStore
{
    private readonly Dictionary<byte, byte[]> _values = new();

    public bool Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key.Length != 1)
        {
            return false;
        }

        if (!_values.TryGetValue(key[0], out byte[]? slot) || slot.Length != value.Length)
        {
            slot = new byte[value.Length];
            _values[key[0]] = slot;
        }

        value.CopyTo(slot);
        return true;
    }

    public int Get(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        if (key.Length != 1 || !_values.TryGetValue(key[0], out byte[]? value))
        {
            return -1;
        }

        if (value.Length > destination.Length)
        {
            return -value.Length;
        }

        value.CopyTo(destination);
        return value.Length;
    }
}
