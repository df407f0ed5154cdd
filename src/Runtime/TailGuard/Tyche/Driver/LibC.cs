using System.Runtime.InteropServices;

namespace TailGuard.Tyche.Driver;

/// <summary>The libc calls the driver backend needs.</summary>
internal static unsafe partial class LibC
{
    public const int ReadWrite = 2;         // O_RDWR
    public const int CloseOnExec = 0x80000; // O_CLOEXEC
    public const int ProtRead = 1;
    public const int ProtWrite = 2;
    public const int MapShared = 1;
    public const int MapPopulate = 0x8000;  // the C SDK maps with MAP_POPULATE so the memory is there before MPROTECT
    public const int ReadAndWriteAccess = 6; // R_OK | W_OK
    public const int Exists = 0;             // F_OK
    public const int CpuSetBytes = 128;      // sizeof(cpu_set_t): 1024 CPUs

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Access(string path, int mode);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, ulong request, void* argument);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, ulong request, ulong argument);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    /// <summary>sched_getaffinity(0, ...): the calling thread's CPU mask.</summary>
    [LibraryImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    public static partial int SchedGetAffinity(int pid, nuint size, ulong* mask);

    /// <summary>sched_setaffinity(0, ...): pins the calling thread.</summary>
    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    public static partial int SchedSetAffinity(int pid, nuint size, ulong* mask);
}
