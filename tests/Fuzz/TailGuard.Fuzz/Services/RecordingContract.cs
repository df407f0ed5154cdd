using System;
using System.Runtime.InteropServices;
using TailGuard.Fuzz.Harness;

namespace TailGuard.Fuzz.Services;

/// <summary>The contract's implementation: records what each call received, in a comparable form, and answers simply.</summary>
internal sealed class RecordingContract : IFuzzContract
{
    /// <summary>The method and arguments of the last call (null when the handler did not run).</summary>
    public Call? Last { get; private set; }

    /// <summary>How many times the handler ran since <see cref="Clear"/>.</summary>
    public int Calls { get; private set; }

    public void Clear()
    {
        Last = null;
        Calls = 0;
    }

    public void Ping() => Record(nameof(Ping));

    public long Scalars(bool a, byte b, sbyte c, short d, ushort e, char f, int g, uint h, long i, ulong j, float k, double l)
    {
        Record(nameof(Scalars), a, b, c, d, e, f, g, h, i, j, BitConverter.SingleToInt32Bits(k), BitConverter.DoubleToInt64Bits(l));
        return i ^ g;
    }

    public Mood Enums(Mood mood, Span64 wide)
    {
        Record(nameof(Enums), (byte)mood, (long)wide);
        return mood;
    }

    public Guid Structs(Guid id, decimal amount, Pair pair)
    {
        Record(nameof(Structs), id, Convert.ToHexString(MemoryMarshal.AsBytes(new Span<decimal>(ref amount))), pair.Id, BitConverter.SingleToInt32Bits(pair.Weight), pair.Stamp);
        return id;
    }

    public string Text(string a, string b)
    {
        Record(nameof(Text), a, b);
        return a + b;
    }

    public string Bounded(string text)
    {
        Record(nameof(Bounded), text);
        return text;
    }

    public string? Optional(int? a, string? b, Guid? c)
    {
        Record(nameof(Optional), a, b, c);
        return b;
    }

    public int Bytes(ReadOnlySpan<byte> small, ReadOnlySpan<byte> any)
    {
        Record(nameof(Bytes), Convert.ToHexString(small), Convert.ToHexString(any));
        return small.Length;
    }

    public int Fill(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        Record(nameof(Fill), Convert.ToHexString(source), destination.Length);
        source[..Math.Min(source.Length, destination.Length)].CopyTo(destination);
        return source.Length;
    }

    public void Fail(int code)
    {
        Record(nameof(Fail), code);
        throw new InvalidOperationException($"Fail({code}) was asked to fail.");
    }

    private void Record(string method, params object?[] arguments)
    {
        Calls++;
        Invariant.Holds(Calls == 1, $"The handler ran {Calls} times for one request.");
        Last = new Call(method, arguments);
    }
}

/// <summary>A method name and its arguments, compared by value.</summary>
internal sealed record Call(string Method, object?[] Arguments)
{
    public bool Equals(Call? other) => other is not null && Method == other.Method && Arguments.AsSpan().SequenceEqual(other.Arguments);

    public override int GetHashCode() => Method.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => $"{Method}({string.Join(", ", Arguments)})";
}
