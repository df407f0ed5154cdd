using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using TailGuard.Boundary.Tests.Contracts;

namespace TailGuard.Boundary.Tests;

/// <summary>
/// What the many-cores suites share, on every backend: callers on their own threads, and concurrent <see cref="IMixer.Mix"/>
/// calls while an attacker thread rewrites the cores' call regions, each answer checked to be its own call's and
/// consistent (result and digest from one reading of the input), or a rejection.
/// </summary>
internal static class ConcurrentMixing
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="body"/> on <paramref name="count"/> threads released together; returns their results.</summary>
    public static int[] RunOnThreads(int count, Func<int, int> body)
    {
        using var start = new Barrier(count);
        var results = new int[count];
        var errors = new ConcurrentQueue<Exception>();
        Thread[] threads = Enumerable.Range(0, count).Select(index => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                results[index] = body(index);
            }
            catch (Exception exception)
            {
                errors.Enqueue(exception);
            }
        }) { IsBackground = true, Name = "caller " + index }).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(Patience), "a caller did not finish");
        }

        Assert.Empty(errors);
        return results;
    }

    /// <summary>
    /// <paramref name="threads"/> callers make <paramref name="callsPerThread"/> calls each through <paramref name="proxy"/>
    /// while <paramref name="attack"/> (given a random source and the core to hit) runs in a loop on its own thread; asserts
    /// that every call was its own and consistent or rejected, that some came back exact and the attacker wrote, and
    /// returns how many calls completed.
    /// </summary>
    public static long UnderAttack(IMixer proxy, int threads, int callsPerThread, Action<Random, int> attack)
    {
        using var stop = new CancellationTokenSource();
        long attacks = 0;
        var attacker = new Thread(() =>
        {
            var random = new Random(7);
            while (!stop.IsCancellationRequested)
            {
                attack(random, random.Next(threads));
                attacks++;
                if (attacks % 64 == 0)
                {
                    Thread.Yield(); // the callers need the cores too, on a small machine
                }
            }
        }) { IsBackground = true, Name = "attacker" };
        attacker.Start();

        var failures = new ConcurrentQueue<string>();
        long exact = 0;
        long consistent = 0;
        long rejected = 0;
        try
        {
            RunOnThreads(threads, caller =>
            {
                byte[] data = new byte[64];
                byte[] digest = new byte[64];
                for (int sequence = 0; sequence < callsPerThread; sequence++)
                {
                    data.AsSpan().Fill((byte)(caller + sequence));
                    long result;
                    try
                    {
                        result = proxy.Mix(caller, sequence, data, digest);
                    }
                    catch (BoundaryViolationException)
                    {
                        Interlocked.Increment(ref rejected);
                        continue;
                    }

                    // The answer is this call's (no other core's frame), and its result and digest come from one reading of the input.
                    byte key = Mixer.Key(caller, sequence);
                    int sum = digest.Sum(b => b ^ key);
                    if (result != Mixer.Expected(caller, sequence, sum))
                    {
                        failures.Enqueue($"caller {caller} call {sequence}: result 0x{result:X} is not its own call's with the digest's input (sum {sum})");
                    }
                    else if (digest.All(b => (b ^ key) == data[0]))
                    {
                        Interlocked.Increment(ref exact);
                    }
                    else
                    {
                        Interlocked.Increment(ref consistent);
                    }
                }

                return 0;
            });
        }
        finally
        {
            stop.Cancel();
            attacker.Join();
        }

        Assert.Empty(failures);
        Assert.Equal(threads * callsPerThread, exact + consistent + rejected);
        Assert.True(exact > 0, "no call came back exactly as sent");
        Assert.True(attacks > 0, "the attacker never wrote");
        return exact + consistent;
    }
}
