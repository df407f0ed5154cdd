using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using HdrHistogram;
using TailGuard.R2P2;

namespace TailGuard.Samples.ConfidentialKeyValue;

/// <summary>The shape of the load: how many operations, how many callers at once, the get/put mix and the key space.</summary>
internal sealed record WorkloadOptions(int Operations, int Concurrency, double GetFraction, int Keys, int ValueBytes, int Seed);

/// <summary>
/// A closed-loop mixed get/put workload through the generated client; every get checks that the value it reads back
/// is the one last written (all puts write the same value, so any reply is checkable). Closed-loop latency hides
/// queueing under overload (coordinated omission): read it as the latency at the throughput reached.
/// </summary>
internal static class Workload
{
    /// <summary>Runs the workload; caller <c>c</c> goes through <c>clients[c % clients.Length]</c> (each client its own socket, so the server's receive loops share the callers).</summary>
    public static async Task<WorkloadReport> RunAsync(ConfidentialStoreClient[] clients, WorkloadOptions options, ConsecutiveTimeouts timeouts)
    {
        ConfidentialStoreClient client = clients[0];
        // Every key is preloaded (so every get is checkable), and the preload is bounded by the work asked for.
        byte[][] keys = new byte[Math.Min(options.Keys, options.Operations)][];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = System.Text.Encoding.ASCII.GetBytes("key-" + i.ToString("D6", CultureInfo.InvariantCulture));
        }

        byte[] value = new byte[options.ValueBytes];
        new Random(options.Seed).NextBytes(value);
        foreach (byte[] key in keys)
        {
            bool stored;
            try
            {
                stored = await client.PutAsync(key, value);
                timeouts.Answered();
            }
            catch (R2P2TimeoutException)
            {
                timeouts.TimedOut();
                continue;
            }

            if (!stored)
            {
                throw new InvalidOperationException("the server refused to store a value");
            }
        }

        var report = new WorkloadReport();
        var callers = new Task<CallerResult>[options.Concurrency];
        var counters = new CallerResult[options.Concurrency];
        for (int c = 0; c < counters.Length; c++)
        {
            counters[c] = new CallerResult();
        }

        await using (new Progress("workload", options.Operations, () => Done(counters)))
        {
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            long started = Stopwatch.GetTimestamp();
            for (int c = 0; c < callers.Length; c++)
            {
                // The operations split evenly; the first callers take the remainder.
                int share = (options.Operations / callers.Length) + (c < options.Operations % callers.Length ? 1 : 0);
                var random = new Random(options.Seed + c + 1);
                CallerResult result = counters[c];
                ConfidentialStoreClient mine = clients[c % clients.Length];
                callers[c] = Task.Run(() => CallerAsync(mine, keys, value, share, options.GetFraction, random, result, timeouts));
            }

            foreach (Task<CallerResult> caller in callers)
            {
                report.Add(await caller);
            }

            report.Elapsed = Stopwatch.GetElapsedTime(started);
            report.AllocatedBytes = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        }

        return report;
    }

    private static long Done(CallerResult[] counters)
    {
        long done = 0;
        foreach (CallerResult counter in counters)
        {
            done += Volatile.Read(ref counter.Completed);
        }

        return done;
    }

    private static async Task<CallerResult> CallerAsync(ConfidentialStoreClient client, byte[][] keys, byte[] value, int operations, double getFraction, Random random, CallerResult result, ConsecutiveTimeouts timeouts)
    {
        byte[] destination = new byte[Limits.MaxValueBytes];
        for (int i = 0; i < operations; i++)
        {
            byte[] key = keys[random.Next(keys.Length)];
            bool isGet = random.NextDouble() < getFraction;
            long start = Stopwatch.GetTimestamp();
            try
            {
                if (isGet)
                {
                    int length = await client.GetAsync(key, destination);
                    if (length != value.Length || !destination.AsSpan(0, length).SequenceEqual(value))
                    {
                        result.Mismatches++;
                    }

                    result.Gets++;
                }
                else
                {
                    if (!await client.PutAsync(key, value))
                    {
                        result.Mismatches++;
                    }

                    result.Puts++;
                }

                timeouts.Answered();
                result.Latency.RecordValue(Math.Max(1, Stopwatch.GetElapsedTime(start).Ticks * 100));
            }
            catch (R2P2TimeoutException)
            {
                // Timeouts are counted, not retried (R2P2 leaves retrying to the caller's policy); too many in a row
                // mean no server, and end the run.
                result.Errors++;
                timeouts.TimedOut();
            }
            catch (R2P2Exception)
            {
                // A drop or a malformed response: the server answered.
                result.Errors++;
                timeouts.Answered();
            }

            Volatile.Write(ref result.Completed, i + 1);
        }

        return result;
    }
}

/// <summary>One caller's counts and latencies (nanoseconds).</summary>
internal sealed class CallerResult
{
    /// <summary>Calls finished so far, read by the progress display while the caller runs.</summary>
    public long Completed;

    public LongHistogram Latency { get; } = new(TimeSpan.FromSeconds(10).Ticks * 100, 3);

    public long Gets { get; set; }

    public long Puts { get; set; }

    public long Mismatches { get; set; }

    public long Errors { get; set; }
}

/// <summary>All callers together.</summary>
internal sealed class WorkloadReport
{
    private readonly LongHistogram _latency = new(TimeSpan.FromSeconds(10).Ticks * 100, 3);

    public long Gets { get; private set; }

    public long Puts { get; private set; }

    /// <summary>Gets that did not read back the value written, and puts the server refused.</summary>
    public long Mismatches { get; private set; }

    public long Errors { get; private set; }

    public TimeSpan Elapsed { get; set; }

    public long AllocatedBytes { get; set; }

    public long Operations => Gets + Puts;

    public void Add(CallerResult caller)
    {
        _latency.Add(caller.Latency);
        Gets += caller.Gets;
        Puts += caller.Puts;
        Mismatches += caller.Mismatches;
        Errors += caller.Errors;
    }

    public double PercentileMicros(double percentile) => _latency.GetValueAtPercentile(percentile) / 1000.0;

    public string Format()
    {
        var culture = CultureInfo.InvariantCulture;
        double seconds = Math.Max(Elapsed.TotalSeconds, 1e-9);
        return string.Join(
            Environment.NewLine,
            string.Create(culture, $"operations  {Operations} ({Gets} gets, {Puts} puts), {Mismatches} mismatches, {Errors} errors, in {Elapsed.TotalSeconds:0.000} s"),
            string.Create(culture, $"throughput  {Operations / seconds:0} ops/s"),
            string.Create(culture, $"latency us  p50 {PercentileMicros(50):0.0}  p90 {PercentileMicros(90):0.0}  p99 {PercentileMicros(99):0.0}  p99.9 {PercentileMicros(99.9):0.0}  max {PercentileMicros(100):0.0}"),
            string.Create(culture, $"allocated   {AllocatedBytes / (double)Math.Max(1, Operations + Errors):0.00} bytes per call (whole process: client, server, domain, progress display)"));
    }
}
