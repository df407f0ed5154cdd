using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using HdrHistogram;
using TailGuard.R2P2;

namespace TailGuard.Samples.KeyValue;

/// <summary>The shape of the load: how many operations, how many callers at once, the get/put mix and the key space.</summary>
internal sealed record WorkloadOptions(int Operations, int Concurrency, double GetFraction, int Keys, int ValueBytes, int Seed);

/// <summary>
/// A closed-loop mixed get/put workload through the generated client: every caller waits for its reply before its next
/// request. Closed-loop latency hides queueing under overload (coordinated omission); read it as the latency at the
/// throughput it reached, not at an offered rate.
/// </summary>
internal static class Workload
{
    public static async Task<WorkloadReport> RunAsync(KeyValueClient client, WorkloadOptions options, ConsecutiveTimeouts timeouts)
    {
        byte[][] keys = new byte[options.Keys][];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = System.Text.Encoding.ASCII.GetBytes("key-" + i.ToString("D6", CultureInfo.InvariantCulture));
        }

        // The preload (so gets find values) is bounded by the work asked for, and stops at the first sign of no server.
        byte[] value = new byte[options.ValueBytes];
        new Random(options.Seed).NextBytes(value);
        int preload = Math.Min(keys.Length, options.Operations);
        for (int i = 0; i < preload; i++)
        {
            try
            {
                await client.PutAsync(keys[i], value);
                timeouts.Answered();
            }
            catch (R2P2TimeoutException)
            {
                timeouts.TimedOut();
            }
        }

        var report = new WorkloadReport();
        var callers = new Task<CallerResult>[options.Concurrency];
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long started = Stopwatch.GetTimestamp();
        for (int c = 0; c < callers.Length; c++)
        {
            var random = new Random(options.Seed + c + 1);
            int operations = (options.Operations / options.Concurrency) + (c < options.Operations % options.Concurrency ? 1 : 0);
            callers[c] = Task.Run(() => CallerAsync(client, keys, value, operations, options.GetFraction, random, timeouts));
        }

        foreach (Task<CallerResult> caller in callers)
        {
            report.Add(await caller);
        }

        report.Elapsed = Stopwatch.GetElapsedTime(started);
        report.AllocatedBytes = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        return report;
    }

    private static async Task<CallerResult> CallerAsync(KeyValueClient client, byte[][] keys, byte[] value, int operations, double getFraction, Random random, ConsecutiveTimeouts timeouts)
    {
        var result = new CallerResult();
        byte[] destination = new byte[KeyValueStore.MaxValueBytes];
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
                    if (length < 0)
                    {
                        result.Misses++;
                    }

                    result.Gets++;
                }
                else
                {
                    await client.PutAsync(key, value);
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
        }

        return result;
    }
}

/// <summary>One caller's counts and latencies (nanoseconds).</summary>
internal sealed class CallerResult
{
    public LongHistogram Latency { get; } = new(TimeSpan.FromSeconds(10).Ticks * 100, 3);

    public long Gets { get; set; }

    public long Puts { get; set; }

    public long Misses { get; set; }

    public long Errors { get; set; }
}

/// <summary>All callers together.</summary>
internal sealed class WorkloadReport
{
    private readonly LongHistogram _latency = new(TimeSpan.FromSeconds(10).Ticks * 100, 3);

    public long Gets { get; private set; }

    public long Puts { get; private set; }

    public long Misses { get; private set; }

    public long Errors { get; private set; }

    public TimeSpan Elapsed { get; set; }

    public long AllocatedBytes { get; set; }

    public long Operations => Gets + Puts;

    public void Add(CallerResult caller)
    {
        _latency.Add(caller.Latency);
        Gets += caller.Gets;
        Puts += caller.Puts;
        Misses += caller.Misses;
        Errors += caller.Errors;
    }

    public double PercentileMicros(double percentile) => _latency.GetValueAtPercentile(percentile) / 1000.0;

    public string Format()
    {
        var culture = CultureInfo.InvariantCulture;
        double seconds = Math.Max(Elapsed.TotalSeconds, 1e-9);
        return string.Join(
            Environment.NewLine,
            string.Create(culture, $"operations  {Operations} ({Gets} gets, {Misses} misses, {Puts} puts), {Errors} errors, in {Elapsed.TotalSeconds:0.000} s"),
            string.Create(culture, $"throughput  {Operations / seconds:0} ops/s"),
            string.Create(culture, $"latency us  p50 {PercentileMicros(50):0.0}  p90 {PercentileMicros(90):0.0}  p99 {PercentileMicros(99):0.0}  p99.9 {PercentileMicros(99.9):0.0}  max {PercentileMicros(100):0.0}"),
            string.Create(culture, $"allocated   {AllocatedBytes / (double)Math.Max(1, Operations + Errors):0.00} bytes per operation (whole process, client and server)"));
    }
}
