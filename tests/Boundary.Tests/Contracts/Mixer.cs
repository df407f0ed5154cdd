using System;
using System.Diagnostics;
using System.Threading;

namespace TailGuard.Boundary.Tests.Contracts;

/// <summary>A thread-safe <see cref="IMixer"/>: what a domain on several cores needs, since its cores call it concurrently.</summary>
public sealed class Mixer : IMixer
{
    private int _inside;
    private int _mostInside;
    private long _calls;

    /// <summary>Set: every <see cref="Meet"/> returns at once.</summary>
    public ManualResetEventSlim Released { get; } = new();

    public long Calls => Interlocked.Read(ref _calls);

    public int MostInside => Volatile.Read(ref _mostInside);

    /// <summary>Calls inside <see cref="Meet"/> now.</summary>
    public int Inside => Volatile.Read(ref _inside);

    public static byte Key(int caller, int sequence) => (byte)((caller * 31) + sequence);

    public static long Expected(int caller, int sequence, int sum) => ((long)caller << 40) | ((long)(ushort)sequence << 16) | (long)(ushort)sum;

    public long Mix(int caller, int sequence, ReadOnlySpan<byte> data, Span<byte> digest)
    {
        Interlocked.Increment(ref _calls);
        byte key = Key(caller, sequence);
        int sum = 0;
        for (int index = 0; index < data.Length; index++)
        {
            sum += data[index];
            digest[index] = (byte)(data[index] ^ key);
        }

        return Expected(caller, sequence, sum);
    }

    public int Meet(int parties)
    {
        Interlocked.Increment(ref _calls);
        int inside = Interlocked.Increment(ref _inside);
        int most;
        while ((most = Volatile.Read(ref _mostInside)) < inside && Interlocked.CompareExchange(ref _mostInside, inside, most) != most)
        {
        }

        var patience = Stopwatch.StartNew();
        while (MostInside < parties && !Released.IsSet && patience.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(1);
        }

        int seen = MostInside;
        Interlocked.Decrement(ref _inside);
        return seen;
    }
}
