using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace TailGuard.Testing;

/// <summary>
/// Measures the bytes that the threads doing the work allocate per call, robustly on a busy machine: it warms up (so
/// pools fill, static constructors run, and the test's own loop is compiled fully optimized), then counts bytes over
/// many windows of calls and reports each window. A per-call allocation costs at least 24 bytes (the smallest object) in
/// every call of every window; one-off runtime work (tiering a method up, a lazily created wait event the first time a
/// lock is contended, a stray runtime object) lands in a few windows only. So a test asserts the minimum and the median
/// window, per call (<see cref="AllocationReport.AssertNoPerCallAllocation"/>), and never depends on timing.
/// </summary>
internal static class AllocationWindows
{
    /// <summary>Windows measured unless a test says otherwise: an odd number, so the median is one window.</summary>
    public const int DefaultWindows = 15;

    /// <summary>Calls per window unless a test says otherwise.</summary>
    public const int DefaultCallsPerWindow = 2_000;

    /// <summary>Warm-up calls unless a test says otherwise (enough for the runtime to tier hot code up).</summary>
    public const int DefaultWarmUpCalls = 5_000;

    /// <summary>
    /// Measures the current thread: <paramref name="call"/> is invoked once per call with the call's index within its
    /// window, after <paramref name="warmUpCalls"/> warm-up calls.
    /// </summary>
    public static AllocationReport OnThisThread(
        Action<int> call,
        int windows = DefaultWindows,
        int callsPerWindow = DefaultCallsPerWindow,
        int warmUpCalls = DefaultWarmUpCalls)
    {
        ArgumentNullException.ThrowIfNull(call);
        return Measure(count => Loop(call, count), ThisThread, windows, callsPerWindow, warmUpCalls);
    }

    /// <summary>
    /// Measures work spread over several threads: <paramref name="run"/> performs the given number of calls, and
    /// <paramref name="allocatedBytes"/> returns the running total of bytes allocated by every thread doing the work
    /// (the caller's <see cref="GC.GetAllocatedBytesForCurrentThread"/> plus, say, the receive loops' own samples; it
    /// must wait until those samples cover the work done). Read on the measuring thread between windows.
    /// </summary>
    public static AllocationReport Measure(
        Action<int> run,
        Func<long> allocatedBytes,
        int windows = DefaultWindows,
        int callsPerWindow = DefaultCallsPerWindow,
        int warmUpCalls = DefaultWarmUpCalls)
    {
        ArgumentNullException.ThrowIfNull(allocatedBytes);
        return MeasureEach(run, [allocatedBytes], windows, callsPerWindow, warmUpCalls)[0];
    }

    /// <summary>
    /// As <see cref="Measure"/>, with one report per group of threads over the same windows (for instance the threads
    /// the code owns, and pool threads it shares with the runtime, which deserve different assertions). The counters
    /// are read in order, once between windows.
    /// </summary>
    public static AllocationReport[] MeasureEach(
        Action<int> run,
        IReadOnlyList<Func<long>> counters,
        int windows = DefaultWindows,
        int callsPerWindow = DefaultCallsPerWindow,
        int warmUpCalls = DefaultWarmUpCalls)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentOutOfRangeException.ThrowIfZero(counters.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(windows, 3);
        ArgumentOutOfRangeException.ThrowIfLessThan(callsPerWindow, 100);
        ArgumentOutOfRangeException.ThrowIfNegative(warmUpCalls);

        run(warmUpCalls);
        // Start with a fresh allocation context and no garbage due, so a collection is unlikely inside a window.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        // Each reading ends one window and starts the next: a reading that waits for other threads' samples runs
        // once per window.
        long[][] bytes = new long[counters.Count][];
        long[] readings = new long[counters.Count];
        for (int counter = 0; counter < counters.Count; counter++)
        {
            bytes[counter] = new long[windows];
            readings[counter] = counters[counter]();
        }

        for (int window = 0; window < windows; window++)
        {
            Window(run, callsPerWindow);
            for (int counter = 0; counter < counters.Count; counter++)
            {
                long next = counters[counter]();
                bytes[counter][window] = next - readings[counter];
                readings[counter] = next;
            }
        }

        var reports = new AllocationReport[counters.Count];
        for (int counter = 0; counter < counters.Count; counter++)
        {
            reports[counter] = new AllocationReport(bytes[counter], callsPerWindow);
        }

        return reports;
    }

    /// <summary>The current thread's running total: what <see cref="Measure"/> reads for single-threaded work.</summary>
    public static long ThisThread() => GC.GetAllocatedBytesForCurrentThread();

    // Fully optimized from the first call: no on-stack replacement of these loops inside a window.
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Window(Action<int> run, int calls) => run(calls);

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Loop(Action<int> call, int count)
    {
        for (int index = 0; index < count; index++)
        {
            call(index);
        }
    }
}
