using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using TailGuard.Load;

namespace TailGuard.Tool.Commands.Serve;

/// <summary>
/// What the synthetic service times really held the workers: per request the drawn time and the held time (from the
/// handler's start to the end of the wait), so an experiment can tell the load it offered from the load the workers
/// carried (docs/router.md, "Synthetic service times"). Each worker records into its own <see cref="Worker"/>; a
/// summary merges them.
/// </summary>
internal sealed class ServiceTimeMeter
{
    private readonly List<Worker> _workers = [];

    /// <summary>A new worker's record; call from the worker's thread once.</summary>
    public Worker Join()
    {
        var worker = new Worker();
        lock (_workers)
        {
            _workers.Add(worker);
        }

        return worker;
    }

    /// <summary>Every worker's requests so far, merged.</summary>
    public ServiceTimeSummary Summarize()
    {
        var error = new LatencyDistribution();
        long requests = 0, drawn = 0, held = 0;
        lock (_workers)
        {
            foreach (var worker in _workers)
            {
                lock (worker)
                {
                    requests += worker.Requests;
                    drawn += worker.DrawnTicks;
                    held += worker.HeldTicks;
                    error.Add(worker.Error);
                }
            }
        }

        return new ServiceTimeSummary(requests, Microseconds(drawn, requests), Microseconds(held, requests), error);
    }

    private static double Microseconds(long ticks, long count) => count == 0 ? 0 : ticks * 1e6 / Stopwatch.Frequency / count;

    /// <summary>One worker's requests. Recording locks only this worker's record: uncontended but for a summary.</summary>
    internal sealed class Worker
    {
        public long Requests { get; private set; }

        public long DrawnTicks { get; private set; }

        public long HeldTicks { get; private set; }

        /// <summary>How far each hold was from its drawn time, either way, in nanoseconds.</summary>
        public LatencyDistribution Error { get; } = new();

        public void Record(long drawnTicks, long heldTicks)
        {
            lock (this)
            {
                Requests++;
                DrawnTicks += drawnTicks;
                HeldTicks += heldTicks;
                Error.Record((long)(Math.Abs(heldTicks - drawnTicks) * 1e9 / Stopwatch.Frequency));
            }
        }
    }
}

/// <summary>The service times the workers held: requests, drawn and held means (us), and how far from its drawn time each hold was.</summary>
internal sealed record ServiceTimeSummary(long Requests, double DrawnMeanMicroseconds, double HeldMeanMicroseconds, LatencyDistribution Error)
{
    /// <summary>One line for <c>tailguard serve</c>'s exit, which benchmarks/scripts/jbsq.sh reads (keep its shape).</summary>
    public override string ToString() => Requests == 0
        ? "service time: no request"
        : string.Create(CultureInfo.InvariantCulture, $"service time: {Requests} requests, drawn mean {DrawnMeanMicroseconds:0.0} us, held mean {HeldMeanMicroseconds:0.0} us ({(HeldMeanMicroseconds / DrawnMeanMicroseconds) - 1:+0.0%;-0.0%}), |held - drawn| p50 {Error.Estimate(50).Microseconds:0.0} us p99 {Error.Estimate(99).Microseconds:0.0} us max {Error.MicrosecondsAtRank(Error.Count):0.0} us");
}
