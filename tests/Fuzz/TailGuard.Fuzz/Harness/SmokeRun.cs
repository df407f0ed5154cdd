using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace TailGuard.Fuzz.Harness;

/// <summary>What an in-process smoke run did.</summary>
/// <param name="Executions">Inputs run.</param>
/// <param name="Failure">The first input that broke an invariant or threw, or null.</param>
/// <param name="Error">What it threw.</param>
internal sealed record SmokeResult(long Executions, byte[]? Failure, Exception? Error);

/// <summary>
/// A short fuzzing run without AFL, for the test suite: the seed corpus, then random inputs and mutations of the corpus
/// (bit flips, interesting bytes, insertions, deletions, splices) until the time budget ends, and never fewer than
/// <c>minimumGenerated</c> of them: the work a test relies on is bounded by count, not by a clock that a busy machine
/// slows (at load 80 the first inputs' JIT alone can eat a two-second budget). Not coverage-guided; it proves the
/// harness runs and keeps the obvious from regressing. Deterministic for a seed up to the minimum; past it, time decides.
/// </summary>
internal static class SmokeRun
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x02, 0x07, 0x08, 0x0F, 0x10, 0x1F, 0x40, 0x7F, 0x80, 0xC0, 0xCC, 0xFE, 0xFF];

    public static SmokeResult Run(IFuzzTarget target, IReadOnlyList<byte[]> corpus, TimeSpan budget, int seed, int minimumGenerated = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumGenerated);
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        long executions = 0;
        foreach (byte[] input in corpus)
        {
            if (Try(target, input, ref executions) is { } error)
            {
                return new SmokeResult(executions, input, error);
            }
        }

        for (long generated = 0; generated < minimumGenerated || clock.Elapsed < budget; generated++)
        {
            byte[] input = corpus.Count == 0 || random.Next(4) == 0 ? RandomBytes(random) : Mutate(random, corpus);
            if (Try(target, input, ref executions) is { } error)
            {
                return new SmokeResult(executions, input, error);
            }
        }

        return new SmokeResult(executions, null, null);
    }

    private static Exception? Try(IFuzzTarget target, byte[] input, ref long executions)
    {
        executions++;
        try
        {
            target.Run(input);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static byte[] RandomBytes(Random random)
    {
        byte[] bytes = new byte[random.Next(0, 257)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Mutate(Random random, IReadOnlyList<byte[]> corpus)
    {
        var bytes = new List<byte>(corpus[random.Next(corpus.Count)]);
        int rounds = 1 + random.Next(8);
        for (int r = 0; r < rounds; r++)
        {
            int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 2:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(4)));
                    break;
                case 4:
                    byte[] other = corpus[random.Next(corpus.Count)];
                    int from = random.Next(other.Length + 1);
                    bytes.InsertRange(at, other.AsSpan(from, Math.Min(other.Length - from, 1 + random.Next(16))).ToArray());
                    break;
                default:
                    if (bytes.Count > 0)
                    {
                        bytes[at] = (byte)(bytes[at] + random.Next(-4, 5));
                    }

                    break;
            }
        }

        return bytes.ToArray();
    }
}
