using System;
using System.Runtime.InteropServices;

namespace TailGuard.Transport.Xdp.Interop;

/// <summary>
/// The libc calls the transport makes (Linux, 64-bit). Blittable arguments only, so a call marshals nothing and
/// allocates nothing; errors come back as -1 and <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static unsafe partial class Libc
{
    public const int AfInet = 2;
    public const int AfInet6 = 10;
    public const int AfNetlink = 16;
    public const int AfXdp = 44;
    public const int SockDgram = 2;
    public const int SockRaw = 3;
    public const int SockCloexec = 0x80000;
    public const int SolSocket = 1;
    public const int SoRcvbuf = 8;
    public const int SoRcvTimeo = 20;
    public const int SoSndTimeo = 21;
    public const int SoBusyPoll = 46;
    public const int SoPreferBusyPoll = 69;
    public const int SoBusyPollBudget = 70;
    public const int MsgDontWait = 0x40;
    public const short PollIn = 0x1;
    public const int ProtRead = 0x1;
    public const int ProtWrite = 0x2;
    public const int MapShared = 0x01;
    public const int MapPrivate = 0x02;
    public const int MapAnonymous = 0x20;
    public const int MapPopulate = 0x8000;

    public const int EPerm = 1;
    public const int ENoEnt = 2;
    public const int EIntr = 4;
    public const int EBadF = 9;
    public const int EAgain = 11;
    public const int ENoMem = 12;
    public const int EAcces = 13;
    public const int EBusy = 16;
    public const int EExist = 17;
    public const int ENoDev = 19;
    public const int EInval = 22;
    public const int ENoSys = 38;
    public const int ENoProtoOpt = 92;
    public const int EProtoNoSupport = 93;
    public const int EOpNotSupp = 95;
    public const int EAfNoSupport = 97;
    public const int EAddrInUse = 98;
    public const int ENetDown = 100;
    public const int ENoBufs = 105;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int bind(int fd, void* address, uint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getsockname(int fd, void* address, uint* length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, void* value, uint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getsockopt(int fd, int level, int name, void* value, uint* length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint sendto(int fd, void* buffer, nuint length, int flags, void* address, uint addressLength);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recvfrom(int fd, void* buffer, nuint length, int flags, void* address, uint* addressLength);

    /// <summary>recvfrom for a caller that uses neither its result nor errno (a busy-polling wakeup): no errno is saved, which also keeps the call free of the runtime's last-error bookkeeping.</summary>
    [LibraryImport("libc", EntryPoint = "recvfrom")]
    public static partial nint recvfromNoErrno(int fd, void* buffer, nuint length, int flags, void* address, uint* addressLength);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", SetLastError = true)]
    public static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int munmap(void* address, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial long syscall(long number, long a, long b, long c);

    /// <summary>mmap's failure value, (void*)-1.</summary>
    public static readonly void* MapFailed = (void*)-1;

    /// <summary>The errno of the last call made with SetLastError.</summary>
    public static int LastError => Marshal.GetLastPInvokeError();

    /// <summary>"EPERM (Operation not permitted)": the symbolic name operators search for, and the system's words.</summary>
    public static string Describe(int errno) => $"{Name(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})";

    private static string Name(int errno) => errno switch
    {
        EPerm => "EPERM",
        ENoEnt => "ENOENT",
        EIntr => "EINTR",
        EBadF => "EBADF",
        EAgain => "EAGAIN",
        ENoMem => "ENOMEM",
        EAcces => "EACCES",
        EBusy => "EBUSY",
        EExist => "EEXIST",
        ENoDev => "ENODEV",
        EInval => "EINVAL",
        ENoSys => "ENOSYS",
        ENoProtoOpt => "ENOPROTOOPT",
        EProtoNoSupport => "EPROTONOSUPPORT",
        EOpNotSupp => "EOPNOTSUPP",
        EAfNoSupport => "EAFNOSUPPORT",
        EAddrInUse => "EADDRINUSE",
        ENetDown => "ENETDOWN",
        ENoBufs => "ENOBUFS",
        _ => $"errno {errno}",
    };

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }
}
