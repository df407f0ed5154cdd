using System;
using System.Collections.Generic;

namespace TailGuard.Load;

/// <summary>How a <see cref="LoadGenerator"/> connects and measures (docs/load.md lists every setting's role).</summary>
public sealed class LoadGeneratorOptions
{
    /// <summary>Client sockets (connections) to open; R2P2 request ids are per socket, so many sockets mean many id spaces.</summary>
    public int Connections { get; init; } = 4;

    /// <summary>
    /// How many of the connections form the latency-measuring subset (Lancet's latency agents): their requests are
    /// timestamped and sampled; the rest only generate throughput and count outcomes.
    /// </summary>
    public int LatencyConnections { get; init; } = 2;

    /// <summary>Threads that schedule and send; connection i belongs to thread i mod this.</summary>
    public int SendingThreads { get; init; } = 1;

    /// <summary>The most requests in flight over all connections; a send that would exceed it is skipped and counted.</summary>
    public int MaxInFlight { get; init; } = 4096;

    /// <summary>How long a request may take before it counts as a timeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How gaps between scheduled sends are drawn.</summary>
    public InterArrivalDistribution Distribution { get; init; } = InterArrivalDistribution.Exponential;

    /// <summary>Sending at the point's rate before measuring, so caches, JIT and queues settle.</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a point measures (at least; see <see cref="Precision"/>).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Keep measuring until a percentile's interval is this narrow (or its time limit passes); null measures <see cref="Duration"/>.</summary>
    public PrecisionTarget? Precision { get; init; }

    /// <summary>The self-checks' thresholds.</summary>
    public SelfCheckOptions Checks { get; init; } = new();

    /// <summary>The percentiles to report, each with its interval.</summary>
    public IReadOnlyList<double> Percentiles { get; init; } = [50, 90, 99, 99.9];

    /// <summary>Seeds the gap generator for a repeatable schedule; null seeds from the clock.</summary>
    public int? Seed { get; init; }

    /// <summary>The most latency samples one sending thread keeps per point (8 bytes each).</summary>
    public int SampleCapacity { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// How long before each scheduled send a sending thread stops sleeping and spins on the clock. A sleeping thread
    /// leaves its core to the target and the receive loops, but wakes up as late as the scheduler makes it (tens of
    /// microseconds on a busy or virtualized machine); spinning is exact but holds the core. Gaps shorter than this
    /// are spun through whole. 0 to 10 ms; 50 us by default (docs/load.md, "The sending thread").
    /// </summary>
    public TimeSpan SenderSpin { get; init; } = TimeSpan.FromMicroseconds(50);

    /// <summary>
    /// The most requests a sending thread hands to one connection in one send (<see cref="LoadConnection.SendBatch"/>: one
    /// <c>sendmmsg</c> for the R2P2 and UDP echo targets) when it finds several due at once: it woke late, or
    /// <see cref="SendWindow"/> gathered them. Each request keeps its scheduled time, so latency is still measured from
    /// when it was due. 1, the default, sends every request on its own: a batch leaves at one instant, so after a stall
    /// its requests reach the wire as one burst and the inter-arrival check sees gaps of zero (a quiet CI run failed it
    /// that way with 32). 1 to 1024 (docs/load.md, "Batched sends").
    /// </summary>
    public int MaxSendBatch { get; init; } = 1;

    /// <summary>
    /// How long a sending thread may hold a due request to send it together with those falling due after it: the thread
    /// sleeps until this long after the first request of a batch was due, then sends every request due by then (up to
    /// <see cref="MaxSendBatch"/>) in one send. Fewer wake-ups and system calls at high rates, at the price of up to this
    /// much lateness per request, which is measured and judged like any other (the lateness self-check is not relaxed).
    /// Zero, the default, sends each request when it falls due. 0 to 10 ms.
    /// </summary>
    public TimeSpan SendWindow { get; init; }

    /// <summary>
    /// The scheduling priority the sending threads ask for (Linux; docs/load.md, "The sending thread"). Whether it was
    /// granted is in each point's <see cref="LoadPointResult.Sender"/>.
    /// </summary>
    public SenderPriority SenderPriority { get; init; } = SenderPriority.High;

    /// <summary>
    /// For testing the self-checks: the sending threads stop for this long every <see cref="SenderStallInterval"/>
    /// (a starved generator). Zero, the default, never stalls.
    /// </summary>
    public TimeSpan SenderStall { get; init; }

    /// <summary>How often a stalling sender stalls (see <see cref="SenderStall"/>).</summary>
    public TimeSpan SenderStallInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Connections, 1);
        if (LatencyConnections < 1 || LatencyConnections > Connections)
        {
            throw new ArgumentOutOfRangeException(nameof(LatencyConnections), LatencyConnections, $"Between 1 and the number of connections ({Connections}) must measure latency.");
        }

        if (SendingThreads < 1 || SendingThreads > Connections)
        {
            throw new ArgumentOutOfRangeException(nameof(SendingThreads), SendingThreads, $"Between 1 and the number of connections ({Connections}) threads may send.");
        }

        if (MaxInFlight < Connections)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxInFlight), MaxInFlight, "Every connection needs room for at least one request in flight.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(WarmUp.Ticks, nameof(WarmUp));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Duration, TimeSpan.Zero);
        Precision?.Validate();
        Checks.Validate();
        foreach (var percentile in Percentiles)
        {
            if (!(percentile > 0 && percentile < 100))
            {
                throw new ArgumentOutOfRangeException(nameof(Percentiles), percentile, "Percentiles must be strictly between 0 and 100.");
            }
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(SampleCapacity, 1024);
        if (SenderSpin < TimeSpan.Zero || SenderSpin > TimeSpan.FromMilliseconds(10))
        {
            throw new ArgumentOutOfRangeException(nameof(SenderSpin), SenderSpin, "The sender's spin must be from 0 to 10 ms.");
        }

        if (MaxSendBatch < 1 || MaxSendBatch > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSendBatch), MaxSendBatch, "A send batch holds from 1 to 1024 requests.");
        }

        if (SendWindow < TimeSpan.Zero || SendWindow > TimeSpan.FromMilliseconds(10))
        {
            throw new ArgumentOutOfRangeException(nameof(SendWindow), SendWindow, "The send window must be from 0 to 10 ms.");
        }

        if (!Enum.IsDefined(SenderPriority))
        {
            throw new ArgumentOutOfRangeException(nameof(SenderPriority), SenderPriority, "Not a sender priority.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(SenderStall.Ticks, nameof(SenderStall));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SenderStallInterval, TimeSpan.Zero);
    }
}
