using System;

namespace TailGuard.Load;

/// <summary>What a running point is doing, reported a few times a second.</summary>
/// <param name="Target">The target's name.</param>
/// <param name="Phase">"capacity", "warm-up", "measuring" or "draining".</param>
/// <param name="Elapsed">Time since the phase began.</param>
/// <param name="TargetRate">The offered rate asked for (0 in a closed loop).</param>
/// <param name="Sent">Requests sent in the measurement window so far.</param>
/// <param name="Ok">Expected responses so far.</param>
/// <param name="Errors">Failed requests so far (timeouts, drops, wrong responses, failures).</param>
/// <param name="Precision">The precision target's percentile so far, when one is set and measured.</param>
public readonly record struct LoadProgress(string Target, string Phase, TimeSpan Elapsed, double TargetRate, long Sent, long Ok, long Errors, PercentileEstimate? Precision);
