using System;
using System.Threading;

namespace TailGuard.EndToEnd.Tests.Services;

internal sealed class KitchenSink : IKitchenSink
{
    private int _pings;

    public int Pings => Volatile.Read(ref _pings);

    public void Ping() => Interlocked.Increment(ref _pings);

    public bool Not(bool value) => !value;

    public byte AddBytes(byte a, sbyte b) => unchecked((byte)(a + b));

    public short Shorts(short a, ushort b, char c) => unchecked((short)(a + b + c));

    public uint Ints(int a, uint b) => unchecked((uint)a + b);

    public long Longs(long a, ulong b) => unchecked(a + (long)b);

    public float Floats(float a) => a * 2;

    public double Doubles(double a, float b) => a / b;

    public decimal Money(decimal amount) => amount * 3;

    public Mood Flip(Mood mood) => mood == Mood.Calm ? Mood.Angry : Mood.Calm;

    public Big Negate(Big big) => big == Big.Min ? Big.Max : Big.Min;

    public Sample Twice(Sample sample) => new() { Id = sample.Id * 2, Value = sample.Value * 2, Flag = !sample.Flag };

    public Guid Echo(Guid id) => id;

    public string Concat(string a, string b) => a + b;

    public string Shout(string text) => text.ToUpperInvariant();

    public int Length(ReadOnlySpan<byte> data) => data.Length;

    public int Reverse(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (data.Length > destination.Length)
        {
            return -data.Length;
        }

        for (int i = 0; i < data.Length; i++)
        {
            destination[i] = data[data.Length - 1 - i];
        }

        return data.Length;
    }

    public void Fail(string message) => throw new InvalidOperationException(message);
}
