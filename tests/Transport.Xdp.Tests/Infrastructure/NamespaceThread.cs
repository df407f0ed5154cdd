using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace TailGuard.Transport.Xdp.Tests.Infrastructure;

/// <summary>
/// Runs code on a thread that has joined a network namespace (setns affects only the calling thread). Sockets, BPF
/// links and netlink sockets created there stay in that namespace for their life, whichever thread uses them later,
/// so a test builds each side's transport in its own namespace and drives both from ordinary threads.
/// </summary>
internal static partial class NamespaceThread
{
    private const int CloneNewNet = 0x40000000;

    public static T Run<T>(string networkNamespace, Func<T> action)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Enter(networkNamespace);
                result = action();
            }
            catch (Exception error)
            {
                failure = error;
            }
        })
        { Name = $"in {networkNamespace}", IsBackground = true };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }

        return result;
    }

    public static void Run(string networkNamespace, Action action) => Run(networkNamespace, () =>
    {
        action();
        return 0;
    });

    private static void Enter(string networkNamespace)
    {
        using var handle = System.IO.File.OpenHandle($"/var/run/netns/{networkNamespace}");
        if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
        {
            throw new InvalidOperationException($"setns({networkNamespace}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);
}
