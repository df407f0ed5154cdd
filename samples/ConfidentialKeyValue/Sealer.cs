using System;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Threading;

namespace TailGuard.Samples.ConfidentialKeyValue;

/// <summary>
/// The implementation that lives in the domain. Its AES-256 key is generated inside and never crosses the boundary;
/// nonces are a random 32-bit prefix and a 64-bit counter taken atomically, so they never repeat under one key. The
/// domain runs on several cores, which call it concurrently: each core's thread gets its own AES-GCM instance (an
/// instance is not safe to share between threads).
/// </summary>
internal sealed class Sealer : ISealer, IDisposable
{
    [Secret]
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    private readonly ThreadLocal<AesGcm> _aead;
    private readonly uint _noncePrefix = BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4));
    private ulong _counter;

    public Sealer()
    {
        _aead = new ThreadLocal<AesGcm>(() => new AesGcm(_key, Limits.TagBytes), trackAllValues: true);
    }

    public int Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, Span<byte> sealedValue)
    {
        int length = Limits.SealOverhead + plaintext.Length;
        if (sealedValue.Length < length)
        {
            return -1;
        }

        Span<byte> nonce = sealedValue[..Limits.NonceBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(nonce, _noncePrefix);
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], Interlocked.Increment(ref _counter));
        Encrypt(_aead.Value!, nonce, plaintext, sealedValue.Slice(Limits.SealOverhead, plaintext.Length), sealedValue.Slice(Limits.NonceBytes, Limits.TagBytes), key);
        return length;
    }

    public int Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> sealedValue, Span<byte> plaintext)
    {
        int length = sealedValue.Length - Limits.SealOverhead;
        if (length < 0 || plaintext.Length < length)
        {
            return -1;
        }

        return Decrypt(_aead.Value!, sealedValue[..Limits.NonceBytes], sealedValue.Slice(Limits.SealOverhead), sealedValue.Slice(Limits.NonceBytes, Limits.TagBytes), plaintext[..length], key)
            ? length
            : -1;
    }

    public void Dispose()
    {
        foreach (AesGcm aead in _aead.Values)
        {
            aead.Dispose();
        }

        _aead.Dispose();
        CryptographicOperations.ZeroMemory(_key);
    }

    /// <summary>
    /// AES-GCM ciphertext and tag reveal nothing of the key, so they may leave the domain: the one place where the
    /// key's flow is declared to end (the secret-flow analyzers report any other path from <c>_aead</c> out).
    /// </summary>
    [Declassifier]
    private static void Encrypt(AesGcm aead, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associated)
        => aead.Encrypt(nonce, plaintext, ciphertext, tag, associated);

    /// <summary>
    /// The plaintext is what the caller sealed (only the caller's own data leaves), and whether the tag matched is
    /// the one bit of the key that AES-GCM is designed to reveal.
    /// </summary>
    [Declassifier]
    private static bool Decrypt(AesGcm aead, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associated)
    {
        try
        {
            aead.Decrypt(nonce, ciphertext, tag, plaintext, associated);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // Decrypt has already zeroed the plaintext: nothing unauthenticated leaves.
            return false;
        }
    }
}
