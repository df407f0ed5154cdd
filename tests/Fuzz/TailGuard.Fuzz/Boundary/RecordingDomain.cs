using System;
using System.Runtime.InteropServices;
using TailGuard.Fuzz.Harness;
using TailGuard.Fuzz.Services;

namespace TailGuard.Fuzz.Boundary;

/// <summary>The domain's implementation: records what each call received, in a comparable form, and answers simply.</summary>
internal sealed class RecordingDomain : IFuzzDomain
{
    /// <summary>The byte <see cref="Fill"/> refuses by throwing (an implementation fault that must not cross).</summary>
    public const byte Faulting = 0xEE;

    public Call? Last { get; private set; }

    public int Calls { get; private set; }

    public void Clear()
    {
        Last = null;
        Calls = 0;
    }

    public long Scalars(int a, long b, double c, char d, bool e, Level level, Mark mark)
    {
        Record(nameof(Scalars), a, b, BitConverter.DoubleToInt64Bits(c), d, e, (short)level, mark);
        return a ^ b;
    }

    public int Money(decimal amount, ReadOnlySpan<decimal> amounts)
    {
        Record(nameof(Money), Hex(amount), Convert.ToHexString(MemoryMarshal.AsBytes(amounts)));
        return amounts.Length;
    }

    public int Bytes(ReadOnlySpan<byte> data, ReadOnlySpan<long> wide)
    {
        Record(nameof(Bytes), Convert.ToHexString(data), Convert.ToHexString(MemoryMarshal.AsBytes(wide)));
        return (data.Length * 100) + wide.Length;
    }

    public int Text(string text, string? maybe)
    {
        Record(nameof(Text), text, maybe);
        return (text.Length * 100) + (maybe?.Length ?? 99);
    }

    public void Fill(byte value, Span<byte> destination)
    {
        Record(nameof(Fill), value, destination.Length, Convert.ToHexString(destination));
        if (value == Faulting)
        {
            throw new InvalidOperationException("Fill was asked to fail.");
        }

        destination.Fill(value);
    }

    public void Swap(Span<int> values)
    {
        Record(nameof(Swap), Convert.ToHexString(MemoryMarshal.AsBytes(values)));
        values.Reverse();
    }

    public void Ping() => Record(nameof(Ping));

    private static string Hex(decimal value) => Convert.ToHexString(MemoryMarshal.AsBytes(new ReadOnlySpan<decimal>(in value)));

    private void Record(string method, params object?[] arguments)
    {
        Calls++;
        Invariant.Holds(Calls == 1, $"The implementation ran {Calls} times for one call.");
        Last = new Call(method, arguments);
    }
}
