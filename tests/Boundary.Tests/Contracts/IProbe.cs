using System;

namespace TailGuard.Boundary.Tests.Contracts;

public enum Mode : short
{
    Plain = 1,
    Strict = 2,
}

/// <summary>An int and a long: the four bytes between them are a field of their own, not implicit padding (TG2014).</summary>
public readonly record struct Point(int X, int Reserved, long Y)
{
    public Point(int x, long y)
        : this(x, 0, y)
    {
    }
}

/// <summary>Every way a value can cross, each method a probe the tests observe from inside the domain.</summary>
[TrustDomain]
public interface IProbe
{
    int Add(int a, long b, [Bounded(64)] ReadOnlySpan<byte> data);

    /// <summary>Reads its input, waits for the attacker, reads it again: the two reads must agree.</summary>
    int Inspect([Bounded(256)] ReadOnlySpan<byte> data);

    void Fill(byte value, int count, [Bounded(128)] Span<byte> destination);

    void Reverse([InOut, Bounded(64)] Span<byte> buffer);

    long Sum([Bounded(32)] ReadOnlySpan<int> values);

    int Length([Bounded(32)] string text);

    int Peek([UserCheck, Bounded(64)] ReadOnlySpan<byte> window);

    bool Describe(bool flag, Mode mode, Point point, char letter, double ratio);

    void Ping();
}
