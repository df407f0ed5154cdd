using System;
using System.Collections.Generic;
using TailGuard.Samples.KeyValue;

namespace TailGuard.Samples.ConfidentialKeyValue;

/// <summary>
/// The request handler: it keeps only sealed values and calls the trust domain to seal and open them. The server runs
/// it on one receive loop, so the domain's proxy (one call at a time) is never called concurrently. Overwriting a
/// value of the same length and reading allocate nothing.
/// </summary>
internal sealed class SealedStore : IConfidentialStore
{
    private readonly ISealer _sealer;
    private readonly Dictionary<byte[], byte[]> _sealed = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], byte[]>.AlternateLookup<ReadOnlySpan<byte>> _byView;
    private readonly byte[] _scratch = new byte[Limits.MaxSealedBytes];

    public SealedStore(ISealer sealer)
    {
        _sealer = sealer;
        _byView = _sealed.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public bool Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int length = _sealer.Seal(key, value, _scratch);
        if (length < 0)
        {
            return false;
        }

        if (_byView.TryGetValue(key, out byte[]? stored) && stored.Length == length)
        {
            _scratch.AsSpan(0, length).CopyTo(stored);
            return true;
        }

        // A new key or a new length: the store keeps its own copies (the arguments are views into the receive buffer).
        _byView[key] = _scratch.AsSpan(0, length).ToArray();
        return true;
    }

    public int Get(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        if (!_byView.TryGetValue(key, out byte[]? stored))
        {
            return -1;
        }

        int length = stored.Length - Limits.SealOverhead;
        return length <= destination.Length ? _sealer.Open(key, stored, destination[..length]) : -1;
    }

    public int Count() => _sealed.Count;

    /// <summary>What the store holds for <paramref name="key"/> (nonce, tag, ciphertext): never the value itself.</summary>
    public ReadOnlySpan<byte> SealedValue(ReadOnlySpan<byte> key)
        => _byView.TryGetValue(key, out byte[]? stored) ? stored : default;
}
