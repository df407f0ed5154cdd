using System;

namespace TailGuard.Fuzz.Boundary;

/// <summary>An enum over a short.</summary>
public enum Level : short
{
    Low = 1,
    High = 2,
}

/// <summary>A struct without implicit padding (TG2014): every byte crosses.</summary>
public readonly record struct Mark(int Id, int Tag, long Stamp);

/// <summary>
/// The contract the boundary target calls through its generated entry: every value kind docs/trust-boundary.md lists
/// (scalars, bool, enum, struct, decimal, input spans of bytes, longs and decimals, strings and a nullable string,
/// an output span, an in-out span), each buffer bounded.
/// </summary>
[TrustDomain]
public interface IFuzzDomain
{
    long Scalars(int a, long b, double c, char d, bool e, Level level, Mark mark);

    int Money(decimal amount, [Bounded(4)] ReadOnlySpan<decimal> amounts);

    int Bytes([Bounded(64)] ReadOnlySpan<byte> data, [Bounded(8)] ReadOnlySpan<long> wide);

    int Text([Bounded(16)] string text, [Bounded(8)] string? maybe);

    void Fill(byte value, [Bounded(32)] Span<byte> destination);

    void Swap([InOut, Bounded(16)] Span<int> values);

    void Ping();
}
