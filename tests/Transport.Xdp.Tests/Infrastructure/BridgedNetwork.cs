using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;

namespace TailGuard.Transport.Xdp.Tests.Infrastructure;

/// <summary>
/// Three hosts on one Ethernet segment, for a router in the middle (docs/router.md, "On AF_XDP"): the router's
/// namespace (where the AF_XDP transport attaches), a client's and a server's, each joined by a veth pair to a bridge
/// in a fourth namespace. Client and server are apart because a forwarded request keeps the client's address as its
/// source, and Linux drops an IPv4 packet whose source is one of the receiving namespace's own addresses. Each host has
/// an IPv4 and an IPv6 address; names start with "tgxf" and a random suffix; everything is removed on dispose. TX
/// checksum offload is off on the hosts' ends (VethPair says why).
/// </summary>
internal sealed class BridgedNetwork : IDisposable
{
    private const int Mtu = 1500;
    private readonly string _switch;
    private readonly List<string> _namespaces = [];

    private BridgedNetwork(string prefix, int subnet)
    {
        _switch = prefix + "w";
        Router = new Host(prefix + "r", IPAddress.Parse($"10.212.{subnet}.1"), IPAddress.Parse($"fd00:7468:{subnet:x}::1"));
        Client = new Host(prefix + "c", IPAddress.Parse($"10.212.{subnet}.2"), IPAddress.Parse($"fd00:7468:{subnet:x}::2"));
        Server = new Host(prefix + "s", IPAddress.Parse($"10.212.{subnet}.3"), IPAddress.Parse($"fd00:7468:{subnet:x}::3"));
        Subnet = subnet;
    }

    public Host Router { get; }

    public Host Client { get; }

    public Host Server { get; }

    public int Subnet { get; }

    /// <summary>An address on the segment that no host has: its next hop never resolves.</summary>
    public IPAddress Nobody(bool ipv6) => IPAddress.Parse(ipv6 ? $"fd00:7468:{Subnet:x}::99" : $"10.212.{Subnet}.99");

    /// <summary>Creates the segment, or returns null with the capability that is missing.</summary>
    public static BridgedNetwork? TryCreate(out string missing)
    {
        missing = string.Empty;
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            missing = "needs root on Linux (network namespaces, veth, a bridge, AF_XDP)";
            return null;
        }

        var prefix = "tgxf" + Random.Shared.Next(0x1000, 0xFFFF).ToString("x4", CultureInfo.InvariantCulture);
        var network = new BridgedNetwork(prefix, Random.Shared.Next(1, 250));
        var steps = new List<string>
        {
            $"netns add {network._switch}",
            $"-n {network._switch} link add {prefix}br type bridge mcast_snooping 0",
            $"-n {network._switch} link set {prefix}br up",
        };
        network._namespaces.Add(network._switch);
        foreach (var host in new[] { network.Router, network.Client, network.Server })
        {
            var port = host.Interface + "w";
            network._namespaces.Add(host.Namespace);
            steps.Add($"netns add {host.Namespace}");
            steps.Add($"link add {host.Interface} mtu {Mtu} netns {host.Namespace} type veth peer name {port} mtu {Mtu} netns {network._switch}");
            steps.Add($"-n {network._switch} link set {port} master {prefix}br");
            steps.Add($"-n {network._switch} link set {port} up");
            steps.Add($"-n {host.Namespace} addr add {host.IPv4}/24 dev {host.Interface}");
            steps.Add($"-n {host.Namespace} addr add {host.IPv6}/64 dev {host.Interface} nodad");
            steps.Add($"-n {host.Namespace} link set {host.Interface} up");
            steps.Add($"-n {host.Namespace} link set lo up");
        }

        foreach (var step in steps)
        {
            if (VethPair.Ip(step) is { } error)
            {
                network.Dispose();
                missing = $"needs network namespaces, veth pairs and a bridge (ip {step}: {error})";
                return null;
            }
        }

        try
        {
            foreach (var host in new[] { network.Router, network.Client, network.Server })
            {
                NamespaceThread.Run(host.Namespace, () => VethPair.DisableTxChecksum(host.Interface));
            }
        }
        catch (InvalidOperationException error)
        {
            network.Dispose();
            missing = $"needs ethtool's SIOCETHTOOL on veth ({error.Message})";
            return null;
        }

        // IPv6 neighbour discovery starts once each link-local address has passed duplicate address detection.
        var deadline = Environment.TickCount64 + 5000;
        while (Environment.TickCount64 < deadline
            && Array.Exists([network.Router, network.Client, network.Server], host => VethPair.RunIp($"-n {host.Namespace} -6 addr show dev {host.Interface} tentative").Output.Length > 0))
        {
            System.Threading.Thread.Sleep(50);
        }

        return network;
    }

    public void Dispose()
    {
        foreach (var name in _namespaces)
        {
            VethPair.Ip($"netns delete {name}"); // a namespace's veth ends go with it, and the bridge with the switch's
        }
    }

    /// <summary>One host on the segment: its namespace, its interface (named as the namespace) and its addresses.</summary>
    internal sealed record Host(string Namespace, IPAddress IPv4, IPAddress IPv6)
    {
        public string Interface => Namespace;

        public IPAddress Address(bool ipv6) => ipv6 ? IPv6 : IPv4;
    }
}
