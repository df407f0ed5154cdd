using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;

namespace TailGuard.MultiProcess.Tests.Infrastructure;

/// <summary>
/// A Linux network namespace made by a test, removed on dispose (which also removes the devices inside it). Names
/// start with "tg" and a random suffix so parallel runs never collide. Run a program inside with
/// <c>ToolProcess.Start</c> (given the namespace's <see cref="Name"/>) or <see cref="Run"/>.
/// </summary>
internal sealed partial class NetworkNamespace : IDisposable
{
    private NetworkNamespace(string name) => Name = name;

    /// <summary>The name <c>ip netns</c> knows it by.</summary>
    public string Name { get; }

    /// <summary>
    /// Whether namespaces can be made here: Linux, root (CAP_SYS_ADMIN and CAP_NET_ADMIN), and the <c>ip</c> command.
    /// When not, <paramref name="reason"/> says which capability is missing, for the test's skip message.
    /// </summary>
    public static bool IsAvailable(out string reason)
    {
        if (!OperatingSystem.IsLinux())
        {
            reason = "network namespaces need Linux";
            return false;
        }

        if (Environment.UserName != "root")
        {
            reason = "network namespaces need root (CAP_SYS_ADMIN, CAP_NET_ADMIN)";
            return false;
        }

        if (Ip("netns list") is { } error)
        {
            reason = $"the ip command (iproute2) does not work here: {error}";
            return false;
        }

        reason = string.Empty;
        return true;
    }

    /// <summary>A random "tg" suffix for namespace and device names (device names have at most 15 characters).</summary>
    public static string NewSuffix() => Random.Shared.Next(0x1000, 0xFFFF).ToString("x4", CultureInfo.InvariantCulture);

    /// <summary>Creates a namespace with its loopback up.</summary>
    /// <exception cref="InvalidOperationException">A step failed; the message names it.</exception>
    public static NetworkNamespace Create(string name)
    {
        Check($"netns add {name}");
        var created = new NetworkNamespace(name);
        try
        {
            created.Run("ip link set lo up");
            return created;
        }
        catch
        {
            created.Dispose();
            throw;
        }
    }

    /// <summary>Runs an <c>ip</c> command in the initial namespace; throws naming the step when it fails.</summary>
    public static void Check(string ipArguments)
    {
        if (Ip(ipArguments) is { } error)
        {
            throw new InvalidOperationException($"ip {ipArguments}: {error}");
        }
    }

    /// <summary>Runs an <c>ip</c> command in the initial namespace and ignores its failure (cleaning up what may not exist).</summary>
    public static void TryRun(string ipArguments) => _ = Ip(ipArguments);

    /// <summary>Runs a command (split on spaces) inside this namespace; throws naming it when it fails.</summary>
    public void Run(string command) => Check($"netns exec {Name} {command}");

    /// <summary>A counter of a device inside this namespace, from /sys/class/net/DEVICE/statistics (rx_packets, tx_packets, ...).</summary>
    public long Counter(string device, string counter)
    {
        var output = Output("ip", ["netns", "exec", Name, "cat", $"/sys/class/net/{device}/statistics/{counter}"]);
        return long.Parse(output.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A UDP socket of this namespace, bound to <paramref name="local"/>, for a test to talk from inside it without a
    /// process (see <see cref="Make{T}"/>).
    /// </summary>
    public Socket BindUdp(IPEndPoint local) => Make(() =>
    {
        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(local);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    });

    /// <summary>
    /// Runs <paramref name="make"/> on a short-lived thread that joins the namespace (setns), so the sockets it opens
    /// (a UDP socket, an R2P2 transport) belong to this namespace: a socket belongs to the namespace it was made in.
    /// The test's other threads stay where they are.
    /// </summary>
    public T Make<T>(Func<T> make)
        where T : class
    {
        T? made = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{Name}");
                if (SetNamespace((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns({Name}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                made = make();
            }
            catch (Exception error)
            {
                failure = error;
            }
        });
        thread.Start();
        thread.Join();
        return made ?? throw new InvalidOperationException($"cannot make a {typeof(T).Name} in {Name}: {failure?.Message}", failure);
    }

    /// <summary>Deletes the namespace; its devices go with it (a veth's peer too).</summary>
    public void Dispose() => Ip($"netns delete {Name}");

    /// <summary>Runs a program and returns its standard output; throws with its standard error when it fails.</summary>
    public static string Output(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output.Result : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)}: {error.Trim()}");
    }

    private const int CloneNewNet = 0x40000000;

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(int fd, int namespaceType);

    private static string? Ip(string arguments)
    {
        try
        {
            Output("ip", arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            return null;
        }
        catch (InvalidOperationException error)
        {
            return error.Message;
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            return error.Message;
        }
        catch (IOException error)
        {
            return error.Message;
        }
    }
}
