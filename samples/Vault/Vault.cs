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

    public int Sign(ReadOnlySpan<byte> message, Span<byte> signature) => HMACSHA256.HashData(_key, message, signature);

    public bool Check(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(_key, message, expected);
        return CryptographicOperations.FixedTimeEquals(expected, signature);
    }

    public bool Verify(ReadOnlySpan<byte> password)
    {
        Span<byte> candidate = stackalloc byte[32];
        Rfc2898DeriveBytes.Pbkdf2(password, _salt, candidate, Iterations, HashAlgorithmName.SHA256);
        return CryptographicOperations.FixedTimeEquals(candidate, _passwordHash);
    }
}
