using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Threading;

namespace TailGuard.R2P2.Security;

/// <summary>
/// A secret key of the authenticated mode (docs/security.md, "Authenticated mode"): an id carried in every datagram
/// and a 16- or 32-byte AES-GCM key. A client holds its own key (<see cref="R2P2ClientOptions.AuthenticationKey"/>);
/// a server holds the keys of the clients it serves (<see cref="R2P2KeyRing"/>). Disposing it wipes the secret.
/// </summary>
/// <remarks>
/// One key authenticates one client at a time: its call nonces are its clock, raised by one where needed so they
/// grow (docs/security.md, "Replayed requests"), unique only within that client, and a nonce repeated under one key
/// would let an observer forge messages. A second client in this process given a key in use is refused, whether it is
/// given the same object or another one with the same secret (whatever its id: the GCM nonce does not carry the id);
/// across processes, give each client its own key.
/// </remarks>
public sealed class R2P2Key : IDisposable
{
    // The secrets (by their SHA-256) that a client of this process holds: copies of one secret are one key.
    private static readonly HashSet<string> s_claimed = new(StringComparer.Ordinal);

    private readonly byte[] _secret;
    private readonly string _fingerprint;
    private bool _claimed;
    private int _disposed;

    /// <summary>Creates a key from its id and secret bytes (copied).</summary>
    /// <param name="id">The key id that names this key on the wire; the server looks the key up by it.</param>
    /// <param name="secret">16 bytes (AES-128-GCM) or 32 bytes (AES-256-GCM) from a cryptographic random source.</param>
    /// <exception cref="ArgumentException">The secret is not 16 or 32 bytes.</exception>
    /// <exception cref="PlatformNotSupportedException">AES-GCM is not available on this platform.</exception>
    public R2P2Key(uint id, ReadOnlySpan<byte> secret)
    {
        if (secret.Length is not (16 or 32))
        {
            throw new ArgumentException($"An R2P2 key is 16 or 32 bytes, not {secret.Length}.", nameof(secret));
        }

        if (!AesGcm.IsSupported)
        {
            throw new PlatformNotSupportedException("The R2P2 authenticated mode needs AES-GCM, which this platform does not provide.");
        }

        Id = id;
        _secret = GC.AllocateUninitializedArray<byte>(secret.Length, pinned: true); // pinned: no copies left behind by the GC
        secret.CopyTo(_secret);
        _fingerprint = Convert.ToHexString(SHA256.HashData(secret));
    }

    /// <summary>The key id carried on the wire.</summary>
    public uint Id { get; }

    /// <summary>The secret's length in bytes (16 or 32).</summary>
    public int Length => _secret.Length;

    /// <summary>Creates a key with a fresh random secret.</summary>
    /// <param name="id">The key id.</param>
    /// <param name="length">16 or 32 bytes.</param>
    /// <returns>The key; hand its secret to the server with <see cref="ExportSecret"/>.</returns>
    public static R2P2Key Generate(uint id, int length = 32)
    {
        Span<byte> secret = stackalloc byte[32];
        RandomNumberGenerator.Fill(secret[..Math.Min(length, 32)]);
        try
        {
            return new R2P2Key(id, secret[..length]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Copies the secret out (to provision the other side).</summary>
    /// <param name="destination">At least <see cref="Length"/> bytes.</param>
    /// <returns>The number of bytes written.</returns>
    public int ExportSecret(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _secret.CopyTo(destination);
        return _secret.Length;
    }

    /// <summary>Wipes the secret.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            CryptographicOperations.ZeroMemory(_secret);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"R2P2Key {Id} ({_secret.Length * 8}-bit)";

    /// <summary>A new AES-GCM instance over this key (not thread-safe: one per thread or under a lock).</summary>
    internal AesGcm CreateCipher()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return new AesGcm(_secret, AuthenticatedWire.TagLength);
    }

    /// <summary>Marks the key as used by one client; false when another client holds it, or a copy of its secret.</summary>
    internal bool TryClaim()
    {
        lock (s_claimed)
        {
            if (_claimed || !s_claimed.Add(_fingerprint))
            {
                return false;
            }

            _claimed = true;
            return true;
        }
    }

    /// <summary>The client holding the key let it go.</summary>
    internal void Unclaim()
    {
        lock (s_claimed)
        {
            if (_claimed)
            {
                _claimed = false;
                s_claimed.Remove(_fingerprint);
            }
        }
    }
}
