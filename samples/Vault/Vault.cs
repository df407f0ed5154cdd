using System;
using System.Security.Cryptography;

namespace TailGuard.Samples.Vault;

/// <summary>The implementation that lives in the domain: its key and password hash never cross the boundary.</summary>
internal sealed class Vault : IVault
{
    private const int Iterations = 10_000;

    [Secret]
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    [Secret]
    private readonly byte[] _salt = RandomNumberGenerator.GetBytes(16);

    [Secret]
    private readonly byte[] _passwordHash = new byte[32];

    /// <summary>Creates the vault. In production the password hash would be provisioned after attestation, not by the host.</summary>
    public Vault(ReadOnlySpan<byte> initialPassword)
        => Rfc2898DeriveBytes.Pbkdf2(initialPassword, _salt, _passwordHash, Iterations, HashAlgorithmName.SHA256);

    public int Sign(ReadOnlySpan<byte> message, Span<byte> signature) => Mac(_key, message, signature);

    public bool Check(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        Span<byte> expected = stackalloc byte[32];
        Mac(_key, message, expected);
        return CryptographicOperations.FixedTimeEquals(expected, signature);
    }

    /// <summary>
    /// An HMAC reveals nothing of its key, so its output may leave the domain: the one place where the key's flow is
    /// declared to end (the secret-flow analyzers report any other path from <c>_key</c> out of the domain).
    /// </summary>
    [Declassifier]
    private static int Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> destination)
        => HMACSHA256.HashData(key, message, destination);

    public bool Verify(ReadOnlySpan<byte> password)
    {
        Span<byte> candidate = stackalloc byte[32];
        Rfc2898DeriveBytes.Pbkdf2(password, _salt, candidate, Iterations, HashAlgorithmName.SHA256);
        return CryptographicOperations.FixedTimeEquals(candidate, _passwordHash);
    }
}
