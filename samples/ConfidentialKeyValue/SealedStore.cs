using System;
using System.Threading;
using System.Collections.Generic;
using TailGuard.Samples.KeyValue;

namespace TailGuard.Samples.ConfidentialKeyValue;

/// <summary>
/// The request handler: it keeps only sealed values and calls the trust domain to seal and open them. The server runs
/// it on several receive loops at once, and the domain has a core per loop: the domain calls run concurrently, outside
/// the store's lock, which guards only the table and the copies in and out of it (so a reader never sees half of a
/// value being overwritten). Overwriting a value of the same length and reading allocate nothing.
/// </summary>
internal sealed class SealedStore : IConfidentialStore
{
    private readonly ISealer _sealer;
    private readonly Lock _gate = new();
    private readonly Dictionary<byte[], byte[]> _sealed = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], byte[]>.AlternateLookup<ReadOnlySpan<byte>> _byView;

    public SealedStore(ISealer sealer)
    {
        _sealer = sealer;
        _byView = _sealed.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public bool Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Span<byte> scratch = stackalloc byte[Limits.MaxSealedBytes]; // this call's own: the loops seal concurrently
        int length = _sealer.Seal(key, value, scratch);
        if (length < 0)
        {
            return false;
        }

        lock (_gate)
        {
            if (_byView.TryGetValue(key, out byte[]? stored) && stored.Length == length)
            {
                scratch[..length].CopyTo(stored);
                return true;
            }

            // A new key or a new length: the store keeps its own copies (the arguments are views into the receive buffer).
            _byView[key] = scratch[..length].ToArray();
            return true;
        }
    }

    public int Get(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        Span<byte> scratch = stackalloc byte[Limits.MaxSealedBytes]; // this call's own: the loops seal concurrently
        int length;
        lock (_gate)
        {
            if (!_byView.TryGetValue(key, out byte[]? stored))
            {
                return -1;
            }

            length = stored.Length;
            stored.CopyTo(scratch);
        }

        int plaintext = length - Limits.SealOverhead;
        return plaintext <= destination.Length ? _sealer.Open(key, scratch[..length], destination[..plaintext]) : -1;
    }

    public int Count()
    {
        lock (_gate)
        {
            return _sealed.Count;
        }
    }

    /// <summary>What the store holds for <paramref name="key"/> (nonce, tag, ciphertext): never the value itself.</summary>
    public ReadOnlySpan<byte> SealedValue(ReadOnlySpan<byte> key)
    {
        lock (_gate)
        {
            return _byView.TryGetValue(key, out byte[]? stored) ? stored : default;
        }
    }
}
