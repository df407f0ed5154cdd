using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;

namespace TailGuard.Load.Timing;

/// <summary>
/// What the Linux scheduler did to one thread of this process: its kernel thread id, its nice value, and its
/// counters (<c>/proc/self/task/TID/schedstat</c>: time on a core and time runnable but waiting for one; <c>status</c>:
/// voluntary and involuntary context switches). The evidence behind a late sender: waiting for a core shows as run-queue
/// wait and involuntary switches, a sleep that woke late does not. Elsewhere nothing is available.
/// </summary>
internal static partial class ThreadScheduling
{
    private const int PriorityOfProcess = 0; // PRIO_PROCESS: on Linux, with a thread id, one thread's nice value

    /// <summary>The calling thread's kernel id, or 0 off Linux.</summary>
    public static int CurrentThreadId() => OperatingSystem.IsLinux() ? gettid() : 0;

    /// <summary>Sets thread <paramref name="threadId"/>'s nice value; false when refused (no root or CAP_SYS_NICE) or not Linux.</summary>
    public static bool TrySetNice(int threadId, int nice)
        => threadId != 0 && setpriority(PriorityOfProcess, (uint)threadId, nice) == 0;

    /// <summary>Reads thread <paramref name="threadId"/>'s counters (not available off Linux or once the thread ended).</summary>
    public static ThreadCounters Read(int threadId)
    {
        if (threadId == 0)
        {
            return default;
        }

        try
        {
            var directory = $"/proc/self/task/{threadId.ToString(CultureInfo.InvariantCulture)}/";
            // schedstat: "<ns on a core> <ns runnable, waiting for a core> <time slices>"
            var schedstat = File.ReadAllText(directory + "schedstat").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long voluntary = 0, involuntary = 0;
            foreach (var line in File.ReadLines(directory + "status"))
            {
                if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                {
                    voluntary = long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                {
                    involuntary = long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                }
            }

            return new ThreadCounters(true, long.Parse(schedstat[0], CultureInfo.InvariantCulture), long.Parse(schedstat[1], CultureInfo.InvariantCulture), voluntary, involuntary);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return default;
        }
    }

    [LibraryImport("libc")]
    private static partial int gettid();

    [LibraryImport("libc")]
    private static partial int setpriority(int which, uint who, int priority);
}

/// <summary>One thread's scheduler counters at one moment (all zero and <see cref="Available"/> false when unreadable).</summary>
internal readonly record struct ThreadCounters(bool Available, long OnCoreNanoseconds, long RunQueueNanoseconds, long VoluntarySwitches, long InvoluntarySwitches)
{
    /// <summary>What happened between <paramref name="earlier"/> and this reading.</summary>
    public ThreadCounters Since(ThreadCounters earlier)
        => Available && earlier.Available
            ? new ThreadCounters(true, OnCoreNanoseconds - earlier.OnCoreNanoseconds, RunQueueNanoseconds - earlier.RunQueueNanoseconds, VoluntarySwitches - earlier.VoluntarySwitches, InvoluntarySwitches - earlier.InvoluntarySwitches)
            : default;

    /// <summary>The sum of two threads' counters (available only when both are).</summary>
    public ThreadCounters Plus(ThreadCounters other)
        => Available && other.Available
            ? new ThreadCounters(true, OnCoreNanoseconds + other.OnCoreNanoseconds, RunQueueNanoseconds + other.RunQueueNanoseconds, VoluntarySwitches + other.VoluntarySwitches, InvoluntarySwitches + other.InvoluntarySwitches)
            : default;
}
