using System;

namespace TailGuard.Samples.ConfidentialKeyValue;

/// <summary>
/// The trust domain's contract: AES-GCM sealing under a key that never leaves the domain. The generator emits
/// <c>SealerProxy</c> (the host calls it), <c>SealerEntry</c> (the domain runs it) and <c>SealerBoundary</c> (layout
/// and hosting). The store's key is the associated data, so a sealed value cannot be moved to another key.
/// </summary>
[TrustDomain]
public interface ISealer
{
    /// <summary>
    /// Seals <paramref name="plaintext"/> bound to <paramref name="key"/> into <paramref name="sealedValue"/>
    /// (nonce, tag, ciphertext): its length, or -1 when <paramref name="sealedValue"/> is too short.
    /// </summary>
    int Seal([Bounded(Limits.MaxKeyBytes)] ReadOnlySpan<byte> key, [Bounded(Limits.MaxValueBytes)] ReadOnlySpan<byte> plaintext, [Bounded(Limits.MaxSealedBytes)] Span<byte> sealedValue);

    /// <summary>
    /// Opens <paramref name="sealedValue"/> bound to <paramref name="key"/> into <paramref name="plaintext"/>: the
    /// plaintext's length, or -1 when the value is malformed, was tampered with or belongs to another key.
    /// </summary>
    int Open([Bounded(Limits.MaxKeyBytes)] ReadOnlySpan<byte> key, [Bounded(Limits.MaxSealedBytes)] ReadOnlySpan<byte> sealedValue, [Bounded(Limits.MaxValueBytes)] Span<byte> plaintext);
}
