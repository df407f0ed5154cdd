using System;
using TailGuard;

namespace TailGuard.EndToEnd.Tests.Services;

internal enum Mood : byte
{
    Calm = 0,
    Angry = 200,
}

internal enum Big : long
{
    Min = long.MinValue,
    Max = long.MaxValue,
}

internal struct Sample
{
    public int Id;
    public double Value;
    public bool Flag;
}

/// <summary>One method per kind of value that may cross, plus the error paths.</summary>
[R2P2Service]
internal interface IKitchenSink
{
    void Ping();

    bool Not(bool value);

    byte AddBytes(byte a, sbyte b);

    short Shorts(short a, ushort b, char c);

    uint Ints(int a, uint b);

    long Longs(long a, ulong b);

    float Floats(float a);

    double Doubles(double a, float b);

    decimal Money(decimal amount);

    Mood Flip(Mood mood);

    Big Negate(Big big);

    Sample Twice(Sample sample);

    Guid Echo(Guid id);

    string Concat(string a, [R2P2MaxLength(16)] string b);

    [return: R2P2MaxLength(8)]
    string Shout(string text);

    int Length(ReadOnlySpan<byte> data);

    /// <summary>Writes <paramref name="data"/> reversed; returns its length, or -length when the destination is too small.</summary>
    int Reverse(ReadOnlySpan<byte> data, Span<byte> destination);

    void Fail(string message);
}
