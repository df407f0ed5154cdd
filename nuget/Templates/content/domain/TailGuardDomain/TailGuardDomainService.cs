using System.Security.Cryptography;
using TailGuard;

namespace TailGuardDomain;

/// <summary>
/// The implementation that runs inside the domain. Its key is [Secret]: the secret-flow analyzers report any path that
/// would carry it out of the domain (try `key.CopyTo(signature)` in Sign), except through a [Declassifier].
/// </summary>
public sealed class TailGuardDomainService : ITailGuardDomain
{
    [Secret]
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public int Sign(ReadOnlySpan<byte> message, Span<byte> signature) => Mac(_key, message, signature);

    public bool Check(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        Span<byte> expected = stackalloc byte[32];
        Mac(_key, message, expected);
        return CryptographicOperations.FixedTimeEquals(expected, signature);
    }

    /// <summary>An HMAC reveals nothing of its key, so its output may leave the domain: the declared end of the key's flow.</summary>
    [Declassifier]
    private static int Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> destination)
        => HMACSHA256.HashData(key, message, destination);
}
