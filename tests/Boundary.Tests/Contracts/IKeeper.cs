using System;
using System.Security.Cryptography;

namespace TailGuard.Boundary.Tests.Contracts;

/// <summary>A domain holding a secret key: what the attack tests try to steal.</summary>
[TrustDomain]
public interface IKeeper
{
    /// <summary>Tags a message with HMAC-SHA256 under the domain's key; returns the message's length.</summary>
    int Tag([Bounded(64)] ReadOnlySpan<byte> message, [Bounded(32)] Span<byte> tag);

    /// <summary>Returns the sum of the message's bytes, read twice around <see cref="Keeper.BetweenReads"/> (-1 when the reads differ).</summary>
    int Sum([Bounded(64)] ReadOnlySpan<byte> message);
}

/// <summary>
/// Lives in the domain. <see cref="Tag"/> keeps the key in the private copy of its output while it computes (the way
/// real code reuses an output buffer as working memory), so the key's bytes sit in the domain's private memory during
/// every call: a host that can read that memory at the wrong moment sees <see cref="Secret"/>.
/// </summary>
internal sealed class Keeper : IKeeper
{
    /// <summary>A distinctive 32-byte pattern: it must never appear in anything the host can read.</summary>
    public static readonly byte[] Secret = "TailGuard-secret-pattern-7Q2#x9!"u8.ToArray();

    public int Calls;

    public int Torn;

    /// <summary>Runs in <see cref="Tag"/> before the key is placed in private memory.</summary>
    public Action? BeforeKey { get; set; }

    /// <summary>Runs in <see cref="Tag"/> while the key sits in private memory.</summary>
    public Action? WhileKeyed { get; set; }

    /// <summary>Runs in <see cref="Sum"/> between its two reads of the input.</summary>
    public Action? BetweenReads { get; set; }

    public static byte[] ExpectedTag(ReadOnlySpan<byte> message) => HMACSHA256.HashData(Secret, message);

    public int Tag(ReadOnlySpan<byte> message, Span<byte> tag)
    {
        Calls++;
        BeforeKey?.Invoke();
        Secret.CopyTo(tag); // the working key, in private scratch
        WhileKeyed?.Invoke();
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(tag[..32], message, mac);
        mac.CopyTo(tag);
        return message.Length;
    }

    public int Sum(ReadOnlySpan<byte> message)
    {
        Calls++;
        int first = Add(message);
        BetweenReads?.Invoke();
        int second = Add(message);
        if (first != second)
        {
            Torn++;
            return -1;
        }

        return first;
    }

    private static int Add(ReadOnlySpan<byte> bytes)
    {
        int sum = 0;
        foreach (byte value in bytes)
        {
            sum += value;
        }

        return sum;
    }
}
