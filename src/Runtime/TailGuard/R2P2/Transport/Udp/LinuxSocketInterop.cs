using System.Runtime.InteropServices;

namespace TailGuard.R2P2;

/// <summary>
/// recvmmsg/sendmmsg/poll from libc (Linux, 64-bit layouts; sockaddr_in and sockaddr_in6). Blittable structs, no marshalling: a batch of datagrams
/// costs one system call and no allocation.
/// </summary>
internal static unsafe partial class LinuxSocketInterop
{
    public const int MsgDontWait = 0x40;
    public const int MsgTrunc = 0x20;
    public const int EAgain = 11;
    public const int EIntr = 4;
    public const short PollIn = 0x1;
    public const ushort AfInet = 2;
    public const ushort AfInet6 = 10;
    public const int SolSocket = 1;
    public const int SoReusePort = 15;

    /// <summary>SO_MEMINFO: the socket's memory counters, a u32 array indexed by SK_MEMINFO_*.</summary>
    public const int SoMemInfo = 55;

    /// <summary>SK_MEMINFO_DROPS: datagrams the socket dropped (a full receive buffer among them; sk_drops).</summary>
    public const int SkMemInfoDrops = 8;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int recvmmsg(int socket, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int sendmmsg(int socket, MMsgHdr* messages, uint count, int flags);

    /// <summary>
    /// Sends <paramref name="count"/> messages with as few <c>sendmmsg</c> calls as the kernel allows, again after EINTR.
    /// A message the kernel refuses (too large for the link, no route, buffer full) is skipped: it is lost, as UDP loses
    /// datagrams.
    /// </summary>
    /// <returns>How many messages the kernel refused.</returns>
    public static int SendAll(int socket, MMsgHdr* messages, int count)
    {
        var refused = 0;
        var sent = 0;
        while (sent < count)
        {
            var result = sendmmsg(socket, messages + sent, (uint)(count - sent), 0);
            if (result > 0)
            {
                sent += result;
                continue;
            }

            if (Marshal.GetLastPInvokeError() == EIntr)
            {
                continue;
            }

            refused++;
            sent++;
        }

        return refused;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getsockopt(int socket, int level, int name, void* value, uint* length);

    /// <summary>The socket's drop count (SK_MEMINFO_DROPS of SO_MEMINFO), or -1 when the kernel does not report it.</summary>
    public static long ReadDrops(int socket)
    {
        const int Slots = 16; // SK_MEMINFO_VARS is 9 today; room for more
        var values = stackalloc uint[Slots];
        var length = (uint)(Slots * sizeof(uint));
        if (getsockopt(socket, SolSocket, SoMemInfo, values, &length) != 0 || length <= SkMemInfoDrops * sizeof(uint))
        {
            return -1;
        }

        return values[SkMemInfoDrops];
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrIn
    {
        public ushort Family;
        public ushort PortBigEndian;
        public uint AddressBigEndian;
        public ulong Zero;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrIn6
    {
        public ushort Family;
        public ushort PortBigEndian;
        public uint FlowInfo;
        public fixed byte Address[16];
        public uint ScopeId;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
