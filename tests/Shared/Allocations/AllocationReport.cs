using System;
using System.Linq;

namespace TailGuard.Testing;

/// <summary>
/// The bytes counted in each window of an <see cref="AllocationWindows"/> measurement, with the minimum and median
/// window per call. "Allocates nothing per call" means both stay under one byte per call: an allocation on every call
/// costs at least 24 bytes per call, and even one on every 24th call reaches a byte, while one-off runtime work spread
/// over a window of thousands of calls, or confined to a few of the windows, does not.
/// </summary>
internal sealed class AllocationReport
{
    /// <summary>The size of the smallest object on a 64-bit runtime (header, method table pointer, one field's slot).</summary>
    public const int SmallestObjectBytes = 24;

    public AllocationReport(long[] windowBytes, int callsPerWindow)
    {
        ArgumentNullException.ThrowIfNull(windowBytes);
        ArgumentOutOfRangeException.ThrowIfZero(windowBytes.Length);
        WindowBytes = windowBytes;
        CallsPerWindow = callsPerWindow;
        long[] sorted = windowBytes.Order().ToArray();
        MinimumBytes = sorted[0];
        MedianBytes = sorted[sorted.Length / 2];
    }

    /// <summary>The bytes counted in each window, in the order measured.</summary>
    public long[] WindowBytes { get; }

    /// <summary>The calls made in each window.</summary>
    public int CallsPerWindow { get; }

    /// <summary>The fewest bytes any window allocated.</summary>
    public long MinimumBytes { get; }

    /// <summary>The median window's bytes (the upper median for an even count).</summary>
    public long MedianBytes { get; }

    /// <summary>The minimum window's bytes per call.</summary>
    public double MinimumPerCall => (double)MinimumBytes / CallsPerWindow;

    /// <summary>The median window's bytes per call.</summary>
    public double MedianPerCall => (double)MedianBytes / CallsPerWindow;

    /// <summary>Fails unless both the minimum and the median window allocate less than one byte per call.</summary>
    public void AssertNoPerCallAllocation()
    {
        Assert.True(MinimumPerCall < 1, "The least-allocating window allocated per call. " + this);
        Assert.True(MedianPerCall < 1, "The median window allocated per call. " + this);
    }

    /// <summary>
    /// Fails unless the least-allocating window allocates less than the smallest object (24 bytes) per call: for threads
    /// the code shares with the runtime and the test host (thread-pool threads). Their background work grows with a
    /// window's duration, and on a loaded machine (windows of ten seconds at load 60) it reached 2-15 bytes per call in
    /// every window, the least-allocating one too. An object allocated on every call is in every window and costs at
    /// least 24 bytes per call; the code's own threads keep the one-byte bound (<see cref="AssertNoPerCallAllocation"/>).
    /// </summary>
    public void AssertNoObjectPerCallInTheBestWindow()
        => Assert.True(MinimumPerCall < SmallestObjectBytes, "Even the least-allocating window allocated an object per call. " + this);

    /// <summary>
    /// Fails unless even the least-allocating window allocated at least <paramref name="bytesPerCall"/> per call: the
    /// check that a measurement sees allocations where the code under test makes them.
    /// </summary>
    public void AssertAllocatesPerCall(double bytesPerCall)
        => Assert.True(MinimumPerCall >= bytesPerCall, $"Expected at least {bytesPerCall} bytes per call in every window. " + this);

    /// <inheritdoc/>
    public override string ToString()
        => $"Bytes per window of {CallsPerWindow} calls: {string.Join(", ", WindowBytes)} "
            + $"(minimum {MinimumPerCall:0.###} and median {MedianPerCall:0.###} per call).";
}
