using System;

namespace TailGuard.Fuzz.Services;

/// <summary>An enum over a byte.</summary>
internal enum Mood : byte
{
    Calm = 0,
    Angry = 200,
}

/// <summary>An enum over a long.</summary>
internal enum Span64 : long
{
    Min = long.MinValue,
    Max = long.MaxValue,
}

/// <summary>A struct without padding (its bytes cross as they are).</summary>
internal struct Pair
{
    public int Id;
    public float Weight;
    public long Stamp;
}

/// <summary>
/// The contract the payload target dispatches into: every kind of value docs/wire-format.md lists (scalars, enums,
/// unmanaged structs, strings with and without bounds, nullable values, byte spans with and without bounds, a bounded
/// destination), a bounded result, and a method that throws.
/// </summary>
[R2P2Service]
internal interface IFuzzContract
{
    void Ping();

    long Scalars(bool a, byte b, sbyte c, short d, ushort e, char f, int g, uint h, long i, ulong j, float k, double l);

    Mood Enums(Mood mood, Span64 wide);

    Guid Structs(Guid id, decimal amount, Pair pair);

    string Text(string a, [R2P2MaxLength(16)] string b);

    [return: R2P2MaxLength(8)]
    string Bounded(string text);

    string? Optional(int? a, string? b, Guid? c);

    int Bytes([R2P2MaxLength(64)] ReadOnlySpan<byte> small, ReadOnlySpan<byte> any);

    int Fill(ReadOnlySpan<byte> source, [R2P2MaxLength(32)] Span<byte> destination);

    void Fail(int code);
}
