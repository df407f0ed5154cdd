using System.Runtime.InteropServices;

namespace TailGuard.Boundary;

/// <summary>
/// The Linux calls the process backend makes beyond the ones the Tyche driver also makes (open, close, mmap, munmap:
/// <see cref="Tyche.Driver.LibC"/>), with x86_64 syscall numbers where it calls syscall(2) directly.
/// </summary>
internal static unsafe partial class ProcessNative
{
    public const int MfdCloexec = 0x1;
    public const int MfdAllowSealing = 0x2;
    public const int FAddSeals = 1033;
    public const int FSealSeal = 0x1;
    public const int FSealShrink = 0x2;
    public const int FSealGrow = 0x4;
    public const int PrSetDumpable = 4;
    public const int PrGetDumpable = 3;
    public const int PrSetNoNewPrivs = 38;
    public const int PrSetPdeathsig = 1;
    public const long SysFutex = 202;
    public const long SysSeccomp = 317;
    public const int FutexWait = 0;
    public const int FutexWake = 1;
    public const int Etimedout = 110;
    public const int Eagain = 11;
    public const int Eintr = 4;

    [LibraryImport("libc", EntryPoint = "memfd_create", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    public static partial int Prctl(int option, nuint argument2, nuint argument3, nuint argument4, nuint argument5);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, nint argument1, nint argument2, nint argument3, nint argument4, nint argument5, nint argument6);

    /// <summary>FUTEX_WAIT on a word of the shared mapping (not FUTEX_PRIVATE: the waker is the other process).</summary>
    /// <returns>0 when woken, otherwise the errno (EAGAIN: the word was not <paramref name="expected"/>; ETIMEDOUT; EINTR).</returns>
    public static int FutexWaitShared(int* word, int expected, long timeoutNanoseconds)
    {
        long* timeout = stackalloc long[2];
        timeout[0] = timeoutNanoseconds / 1_000_000_000;
        timeout[1] = timeoutNanoseconds % 1_000_000_000;
        long result = Syscall(SysFutex, (nint)word, FutexWait, expected, (nint)timeout, 0, 0);
        return result == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Writes all of <paramref name="bytes"/> to <paramref name="fd"/> with write(2) alone (no terminal probing: usable under the seccomp filter).</summary>
    public static void WriteAll(int fd, System.ReadOnlySpan<byte> bytes)
    {
        fixed (byte* start = bytes)
        {
            int done = 0;
            while (done < bytes.Length)
            {
                nint written = Write(fd, start + done, (nuint)(bytes.Length - done));
                if (written <= 0)
                {
                    return;
                }

                done += (int)written;
            }
        }
    }

    /// <summary>FUTEX_WAKE of every waiter on a word of the shared mapping.</summary>
    public static void FutexWakeShared(int* word) => Syscall(SysFutex, (nint)word, FutexWake, int.MaxValue, 0, 0, 0);
}
