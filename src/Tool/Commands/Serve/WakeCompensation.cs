using System;
using System.Diagnostics;

namespace TailGuard.Tool.Commands.Serve;

/// <summary>
/// How early a <c>wait</c>-mode worker sets its timed sleep (docs/router.md, "Synthetic service times"). A sleep to an
/// absolute deadline ends late by the scheduler's wake-up latency: tens of microseconds with 8 workers on 2 cores, up
/// to milliseconds on a loaded machine. Added to every request, that lateness raised the load the workers carried
/// above the load offered (+9% at a load average of 31, so "80%" was 87%). So each worker sleeps until its deadline
/// minus a lead, and after each request moves the lead by a fraction of that request's error (held minus drawn): an
/// integral controller whose fixed point is a mean error of zero, so the mean held time is the mean drawn time. Each
/// hold is still off by the wake-up latency's variation around its mean. One per worker thread; not thread-safe.
/// </summary>
internal sealed class WakeCompensation
{
    /// <summary>The lead's largest value and the largest error one request may contribute: 1 ms.</summary>
    public static readonly long MaxLead = Stopwatch.Frequency / 1000;

    /// <summary>A request moves the lead by 1/Gain of its error.</summary>
    public const int Gain = 16;

    /// <summary>How long before a deadline the worker wakes (Stopwatch ticks), from 0 to <see cref="MaxLead"/>.</summary>
    public long Lead { get; private set; }

    /// <summary>When to wake for a request that started at <paramref name="start"/> and should end at <paramref name="deadline"/>: the deadline minus the lead, never before the start.</summary>
    public long WakeAt(long start, long deadline) => Math.Max(start, deadline - Lead);

    /// <summary>
    /// Corrects the lead by one request's error: a hold longer than drawn wakes the next ones earlier, a shorter one
    /// later. One error counts at most <see cref="MaxLead"/> (a worker descheduled for 10 ms does not make the next
    /// requests that much shorter), and the lead stays within 0..<see cref="MaxLead"/>.
    /// </summary>
    public void Observe(long drawn, long held)
    {
        var error = Math.Clamp(held - drawn, -MaxLead, MaxLead);
        Lead = Math.Clamp(Lead + (error / Gain), 0, MaxLead);
    }
}
