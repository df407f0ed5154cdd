using System.Runtime.InteropServices;

namespace TailGuard.Load.Timing;

/// <summary>Linux <c>struct timespec</c> on 64-bit: what clock_gettime, clock_nanosleep and kernel timestamps carry.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TimeSpec
{
    public long Seconds;
    public long Nanoseconds;

    /// <summary>The instant in nanoseconds since the clock's epoch.</summary>
    public readonly long TotalNanoseconds => Seconds * 1_000_000_000 + Nanoseconds;
}
