using System;
using System.Runtime.InteropServices;

namespace TailGuard.Transport.Xdp.Tests.Infrastructure;

/// <summary>
/// Drops capabilities from the calling thread's effective set (Linux keeps capabilities per thread), so a test can be
/// an unprivileged process for a moment without starting one. Use it on a thread of its own (<see cref="NamespaceThread"/>),
/// which ends with the test: threads it starts inherit the reduced set.
/// </summary>
internal static unsafe partial class ThreadPrivileges
{
    public const int NetAdmin = 12;
    public const int NetRaw = 13;
    public const int SysAdmin = 21;
    public const int Bpf = 39;
    private const uint Version3 = 0x20080522; // _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set

    /// <summary>Drops what AF_XDP needs: CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN and CAP_BPF.</summary>
    public static void DropNetworkingAndBpf() => DropEffective(NetAdmin, NetRaw, SysAdmin, Bpf);

    public static void DropEffective(params int[] capabilities)
    {
        var header = stackalloc uint[2] { Version3, 0 };
        var data = stackalloc uint[6]; // { effective, permitted, inheritable } x 2 words
        if (capget(header, data) != 0)
        {
            throw new InvalidOperationException($"capget: errno {Marshal.GetLastPInvokeError()}");
        }

        foreach (var capability in capabilities)
        {
            data[(capability / 32) * 3] &= ~(1u << (capability % 32));
        }

        if (capset(header, data) != 0)
        {
            throw new InvalidOperationException($"capset: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int capget(uint* header, uint* data);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int capset(uint* header, uint* data);
}
