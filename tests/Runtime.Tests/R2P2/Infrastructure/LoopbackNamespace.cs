using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Threading;

namespace TailGuard.Tests.R2P2.Infrastructure;

/// <summary>
/// A network namespace of the test's own (named <c>tg</c> and a random suffix, deleted on dispose) whose loopback
/// device has a chosen MTU, so a test sees the 1500-byte limit of an Ethernet link on 127.0.0.1 and ::1. Code runs in it
/// on a thread that joined it (setns affects only that thread); sockets made there stay in it whichever thread uses them.
/// </summary>
internal sealed partial class LoopbackNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private LoopbackNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>Creates the namespace with its loopback device up at <paramref name="mtu"/> (needs root and `ip`).</summary>
    public static LoopbackNamespace Create(int mtu)
    {
        var name = "tg" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();
        Ip($"netns add {name}");
        var created = new LoopbackNamespace(name);
        try
        {
            Ip($"-n {name} link set lo mtu {mtu} up");
            return created;
        }
        catch
        {
            created.Dispose();
            throw;
        }
    }

    /// <summary>Gives the local IPv4 address <paramref name="address"/> (127.x.y.z) a route of its own with a locked <paramref name="mtu"/>.</summary>
    public void NarrowRoute(string address, int mtu) => Ip($"-n {Name} route add local {address}/32 dev lo table local mtu lock {mtu}");

    /// <summary>Turns multicast on for the loopback device and routes 224.0.0.0/4 to it, so IPv4 groups work on 127.0.0.1.</summary>
    public void CarryMulticast()
    {
        Ip($"-n {Name} link set lo multicast on");
        Ip($"-n {Name} route add 224.0.0.0/4 dev lo");
    }

    /// <summary>Runs <paramref name="action"/> on a thread inside the namespace and returns its result (or rethrows).</summary>
    public T Run<T>(Func<T> action)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using (var handle = System.IO.File.OpenHandle($"/var/run/netns/{Name}"))
                {
                    if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                    {
                        throw new InvalidOperationException($"setns({Name}) failed: errno {Marshal.GetLastPInvokeError()}");
                    }
                }

                result = action();
            }
            catch (Exception error)
            {
                failure = error;
            }
        })
        { Name = $"in {Name}", IsBackground = true };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }

        return result;
    }

    public void Dispose() => Ip($"netns del {Name}", throwOnError: false);

    private static void Ip(string arguments, bool throwOnError = true)
    {
        using var process = Process.Start(new ProcessStartInfo("ip", arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 && throwOnError)
        {
            throw new InvalidOperationException($"ip {arguments}: {error.Trim()}");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);
}
