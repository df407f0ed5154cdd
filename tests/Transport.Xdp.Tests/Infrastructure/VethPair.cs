using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;

namespace TailGuard.Transport.Xdp.Tests.Infrastructure;

/// <summary>
/// Two network namespaces joined by a veth pair: side A (where the AF_XDP transport attaches) and side B (kernel UDP
/// sockets), each with an IPv4 and an IPv6 address, named with a random "tgx" prefix and removed on dispose. Traffic
/// stays between the two namespaces. TX checksum offload is off on both ends: a veth otherwise hands the peer UDP
/// datagrams whose checksum the sender never computed (the kernel trusts them; the transport checks every one).
/// </summary>
internal sealed partial class VethPair : IDisposable
{
    private const int Mtu = 2000;

    private VethPair(string prefix, int subnet)
    {
        NamespaceA = prefix + "a";
        NamespaceB = prefix + "b";
        InterfaceA = prefix + "a";
        InterfaceB = prefix + "b";
        AddressA4 = IPAddress.Parse($"10.211.{subnet}.1");
        AddressB4 = IPAddress.Parse($"10.211.{subnet}.2");
        AddressA6 = IPAddress.Parse($"fd00:7467:{subnet:x}::1");
        AddressB6 = IPAddress.Parse($"fd00:7467:{subnet:x}::2");
    }

    public string NamespaceA { get; }

    public string NamespaceB { get; }

    public string InterfaceA { get; }

    public string InterfaceB { get; }

    public IPAddress AddressA4 { get; }

    public IPAddress AddressB4 { get; }

    public IPAddress AddressA6 { get; }

    public IPAddress AddressB6 { get; }

    public IPAddress AddressA(bool ipv6) => ipv6 ? AddressA6 : AddressA4;

    public IPAddress AddressB(bool ipv6) => ipv6 ? AddressB6 : AddressB4;

    /// <summary>Creates the pair, or returns null with the capability that is missing (root, ip, namespaces, veth).</summary>
    public static VethPair? TryCreate(out string missing)
    {
        missing = string.Empty;
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            missing = "needs root on Linux (network namespaces, veth, AF_XDP)";
            return null;
        }

        var prefix = "tgx" + Random.Shared.Next(0x10000, 0xFFFFF).ToString("x5", CultureInfo.InvariantCulture);
        var pair = new VethPair(prefix, Random.Shared.Next(1, 250));
        var steps = new List<string>
        {
            $"netns add {pair.NamespaceA}",
            $"netns add {pair.NamespaceB}",
            $"link add {pair.InterfaceA} mtu {Mtu} netns {pair.NamespaceA} type veth peer name {pair.InterfaceB} mtu {Mtu} netns {pair.NamespaceB}",
        };
        foreach (var (ns, device, v4, v6) in new[] { (pair.NamespaceA, pair.InterfaceA, pair.AddressA4, pair.AddressA6), (pair.NamespaceB, pair.InterfaceB, pair.AddressB4, pair.AddressB6) })
        {
            steps.Add($"-n {ns} addr add {v4}/24 dev {device}");
            steps.Add($"-n {ns} addr add {v6}/64 dev {device} nodad");
            steps.Add($"-n {ns} link set {device} up");
            steps.Add($"-n {ns} link set lo up");
        }

        foreach (var step in steps)
        {
            if (Ip(step) is { } error)
            {
                pair.Dispose();
                missing = $"needs network namespaces and veth pairs (ip {step}: {error})";
                return null;
            }
        }

        try
        {
            NamespaceThread.Run(pair.NamespaceA, () => DisableTxChecksum(pair.InterfaceA));
            NamespaceThread.Run(pair.NamespaceB, () => DisableTxChecksum(pair.InterfaceB));
        }
        catch (InvalidOperationException error)
        {
            pair.Dispose();
            missing = $"needs ethtool's SIOCETHTOOL on veth ({error.Message})";
            return null;
        }

        // The kernel sends no IPv6 neighbour solicitation until the link-local address has passed duplicate address
        // detection (about a second after the link comes up): wait for it, so the first IPv6 send of a test resolves.
        var deadline = Environment.TickCount64 + 5000;
        while ((RunIp($"-n {pair.NamespaceA} -6 addr show dev {pair.InterfaceA} tentative").Output.Length > 0
                || RunIp($"-n {pair.NamespaceB} -6 addr show dev {pair.InterfaceB} tentative").Output.Length > 0)
            && Environment.TickCount64 < deadline)
        {
            System.Threading.Thread.Sleep(50);
        }

        return pair;
    }

    /// <summary>Runs `ip ARGS` (-n NAMESPACE for a namespace); returns its output, failing the test on an error.</summary>
    public static string IpOutput(string arguments)
    {
        var (code, output, error) = RunIp(arguments);
        return code == 0 ? output : throw new InvalidOperationException($"ip {arguments}: {error}");
    }

    public void Dispose()
    {
        Ip($"netns delete {NamespaceA}"); // deleting a namespace deletes its veth end, and with it the pair
        Ip($"netns delete {NamespaceB}");
    }

    /// <summary>
    /// Takes one side's device down or brings it up again, as an operator or a failing link would: side A down, its
    /// kernel transmits nothing (ENETDOWN); side B down, side A has no carrier. Bringing a side up restores its IPv6
    /// address, which the kernel removes when the device goes down (keep_addr_on_down is off by default).
    /// </summary>
    public void SetLink(bool sideA, bool up)
    {
        var (ns, device, address) = sideA ? (NamespaceA, InterfaceA, AddressA6) : (NamespaceB, InterfaceB, AddressB6);
        IpOutput($"-n {ns} link set {device} {(up ? "up" : "down")}");
        if (up)
        {
            IpOutput($"-n {ns} addr replace {address}/64 dev {device} nodad");
        }
    }

    /// <summary>Side A's device's count of packets it dropped on transmit (`ip -s link`, TX dropped), e.g. with no carrier.</summary>
    public long TransmitDroppedA()
    {
        using var json = System.Text.Json.JsonDocument.Parse(IpOutput($"-n {NamespaceA} -j -s link show dev {InterfaceA}"));
        return json.RootElement[0].GetProperty("stats64").GetProperty("tx").GetProperty("dropped").GetInt64();
    }

    /// <summary>`ip -s link show` of side A's device: its own counters (a veth counts there what its XDP path dropped).</summary>
    public string LinkStatisticsA() => RunIp($"-n {NamespaceA} -s link show dev {InterfaceA}").Output;

    internal static string? Ip(string arguments)
    {
        var (code, _, error) = RunIp(arguments);
        return code == 0 ? null : error.Trim();
    }

    internal static (int Code, string Output, string Error) RunIp(string arguments)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output, error);
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            return (-1, string.Empty, error.Message);
        }
    }

    /// <summary>ethtool -K DEVICE tx off, through the SIOCETHTOOL ioctl (ETHTOOL_STXCSUM), in the calling thread's namespace.</summary>
    internal static unsafe void DisableTxChecksum(string device)
    {
        const int SiocEthtool = 0x8946;
        const uint EthtoolSetTxChecksum = 0x17;
        var fd = socket(2, 2, 0);
        if (fd < 0)
        {
            throw new InvalidOperationException($"socket: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            var value = stackalloc uint[2];
            value[0] = EthtoolSetTxChecksum;
            value[1] = 0;
            var request = stackalloc byte[40];
            new Span<byte>(request, 40).Clear();
            System.Text.Encoding.ASCII.GetBytes(device, new Span<byte>(request, 16));
            *(nint*)(request + 16) = (nint)value;
            if (ioctl(fd, SiocEthtool, request) != 0)
            {
                throw new InvalidOperationException($"SIOCETHTOOL ETHTOOL_STXCSUM on {device}: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            close(fd);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int ioctl(int fd, nuint request, void* argument);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
