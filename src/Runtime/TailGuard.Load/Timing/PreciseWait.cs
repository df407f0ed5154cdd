using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;

namespace TailGuard.Load.Timing;

/// <summary>
/// Waiting until a <see cref="Stopwatch"/> timestamp without occupying a core. On Linux, <c>clock_nanosleep</c> on the
/// monotonic clock (which is what <see cref="Stopwatch"/> reads there) to the absolute deadline, with the thread's timer
/// slack set to 1 ns (the default 50 us slack would add up to 50 us to every wait): the wake-up is then as late as the
/// scheduler makes it, tens of microseconds on a busy machine. Elsewhere, millisecond sleeps and a short spin at the end.
/// </summary>
internal static partial class PreciseWait
{
    private const int ClockMonotonic = 1;
    private const int TimerAbsolute = 1;
    private const int SetTimerSlack = 29; // PR_SET_TIMERSLACK
    private const int Interrupted = 4;    // EINTR
    private static readonly bool NanosleepOnMonotonic = OperatingSystem.IsLinux() && Stopwatch.Frequency == 1_000_000_000;

    [ThreadStatic]
    private static bool t_slackSet;

    /// <summary>Sleeps until <paramref name="deadline"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public static void Until(long deadline)
    {
        if (NanosleepOnMonotonic)
        {
            if (!t_slackSet)
            {
                _ = prctl(SetTimerSlack, 1, 0, 0, 0);
                t_slackSet = true;
            }

            var time = new TimeSpec { Seconds = deadline / 1_000_000_000, Nanoseconds = deadline % 1_000_000_000 };
            while (clock_nanosleep(ClockMonotonic, TimerAbsolute, in time, 0) == Interrupted)
            {
            }

            return;
        }

        // Portable: sleep whole milliseconds while more than 2 ms remain, then spin.
        long remaining;
        while ((remaining = deadline - Stopwatch.GetTimestamp()) > 2 * Stopwatch.Frequency / 1000)
        {
            Thread.Sleep((int)((remaining * 1000 / Stopwatch.Frequency) - 1));
        }

        Spin(deadline);
    }

    /// <summary>Spins on the clock until <paramref name="deadline"/>.</summary>
    public static void Spin(long deadline)
    {
        while (Stopwatch.GetTimestamp() < deadline)
        {
            Thread.SpinWait(8);
        }
    }

    [LibraryImport("libc")]
    private static partial int clock_nanosleep(int clock, int flags, in TimeSpec request, nint remaining);

    [LibraryImport("libc")]
    private static partial int prctl(int option, nuint argument2, nuint argument3, nuint argument4, nuint argument5);
}
