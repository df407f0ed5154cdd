using System;

namespace TailGuard.Samples.Vault;

/// <summary>
/// A signing key and a password verifier that live in a trust domain. The generator emits <c>VaultProxy</c> (the host
/// calls it), <c>VaultEntry</c> (the domain runs it) and <c>VaultBoundary</c> (layout and hosting).
/// </summary>
[TrustDomain]
public interface IVault
{
    /// <summary>Signs <paramref name="message"/> with the vault's key (HMAC-SHA256) into <paramref name="signature"/>.</summary>
    int Sign([Bounded(1024)] ReadOnlySpan<byte> message, [Bounded(32)] Span<byte> signature);

    /// <summary>Whether <paramref name="signature"/> is the vault's signature of <paramref name="message"/>.</summary>
    bool Check([Bounded(1024)] ReadOnlySpan<byte> message, [Bounded(32)] ReadOnlySpan<byte> signature);

    /// <summary>Whether <paramref name="password"/> is the vault's password (PBKDF2, compared in constant time).</summary>
    bool Verify([Bounded(128)] ReadOnlySpan<byte> password);
}
