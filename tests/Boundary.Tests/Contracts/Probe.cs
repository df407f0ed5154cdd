using System;
using System.Threading;

namespace TailGuard.Boundary.Tests.Contracts;

/// <summary>The implementation that lives in the domain; it records what it saw so that tests can judge the boundary.</summary>
internal sealed class Probe : IProbe
{
    public int Calls;

    public int LastLength = -1;

    /// <summary>Calls in which the input changed between the callee's two reads (must stay 0).</summary>
    public int ChangedDuringCall;

    /// <summary>Calls in which the private copy differed from the shared bytes at the end of the call (evidence the attacker raced).</summary>
    public int SharedDiffered;

    /// <summary>Calls whose input did not fit what the host could ever have sent (must stay 0 on refusal paths).</summary>
    public int OutOfBounds;

    public Action? DuringInspect;

    public Func<int, byte>? SharedPeek;

    public Action? DuringCall;

    public byte[] SeenBeforeWrite = new byte[128];

    public string? LastText;

    public (bool Flag, Mode Mode, Point Point, char Letter, double Ratio) LastDescribe;

    public int Add(int a, long b, ReadOnlySpan<byte> data)
    {
        Calls++;
        DuringCall?.Invoke();
        int sum = a + (int)b;
        foreach (byte value in data)
        {
            sum += value;
        }

        return sum;
    }

    public int Inspect(ReadOnlySpan<byte> data)
    {
        Calls++;
        LastLength = data.Length;
        if (data.Length > 256)
        {
            OutOfBounds++;
        }

        uint first = Checksum(data);
        DuringInspect?.Invoke();
        Thread.SpinWait(50);
        uint second = Checksum(data);
        if (first != second)
        {
            ChangedDuringCall++;
        }

        if (SharedPeek is { } peek && data.Length > 0 && peek(0) != data[0])
        {
            SharedDiffered++;
        }

        return (int)first;
    }

    public void Fill(byte value, int count, Span<byte> destination)
    {
        Calls++;
        destination.CopyTo(SeenBeforeWrite);
        DuringCall?.Invoke();
        destination[..Math.Min(count, destination.Length)].Fill(value);
    }

    public void Reverse(Span<byte> buffer)
    {
        Calls++;
        buffer.Reverse();
    }

    public long Sum(ReadOnlySpan<int> values)
    {
        Calls++;
        long sum = 0;
        foreach (int value in values)
        {
            sum += value;
        }

        return sum;
    }

    public int Length(string text)
    {
        Calls++;
        LastText = text;
        return text.Length;
    }

    public int Peek(ReadOnlySpan<byte> window)
    {
        Calls++;
        DuringCall?.Invoke();
        return window.Length == 0 ? -1 : window[0];
    }

    public bool Describe(bool flag, Mode mode, Point point, char letter, double ratio)
    {
        Calls++;
        LastDescribe = (flag, mode, point, letter, ratio);
        return !flag;
    }

    public void Ping() => Calls++;

    public static uint Checksum(ReadOnlySpan<byte> data)
    {
        uint hash = 2166136261;
        foreach (byte value in data)
        {
            hash = (hash ^ value) * 16777619;
        }

        return hash;
    }
}
