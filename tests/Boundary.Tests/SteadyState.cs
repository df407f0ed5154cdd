using System;

namespace TailGuard.Boundary.Tests;

/// <summary>
/// Measures the bytes the current thread allocates over a window of calls. Steady state means some full window of
/// at least 10 000 calls allocates nothing: on a loaded machine the runtime can still allocate once while tiering
/// code up (a rare one-off of a few KiB was seen in the first window right after a build), which is not a per-call
/// cost, so up to three consecutive windows are measured and the best one must be exactly 0.
/// </summary>
internal static class SteadyState
{
    public const int Window = 10_000;

    public static long BestWindow(Action<int> call, int windows = 3)
    {
        long best = long.MaxValue;
        for (int attempt = 0; attempt < windows && best != 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int index = 0; index < Window; index++)
            {
                call(index);
            }

            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return best;
    }
}
