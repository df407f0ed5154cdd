using System;
using System.Net;
using System.Net.Sockets;

namespace TailGuard.R2P2;

/// <summary>
/// The MTU of the route to a destination, as the kernel knows it (a connected UDP socket's IP_MTU or IPV6_MTU: the
/// route's or the device's MTU, lowered by what path MTU discovery learned), and the check that an R2P2 datagram of a
/// given payload size fits it (docs/operations.md, "MTU and payload size"). Connecting a UDP socket sends nothing.
/// </summary>
internal static class RouteMtu
{
    private const int IpMtu = 14;     // IP_MTU, Linux
    private const int Ipv6Mtu = 24;   // IPV6_MTU, Linux

    /// <summary>The headers below an R2P2 datagram's payload: R2P2, UDP, and IPv4 or IPv6.</summary>
    public static int Overhead(bool ipv6) => Protocol.R2P2Header.Size + 8 + (ipv6 ? 40 : 20);

    /// <summary>
    /// The route MTU to <paramref name="destination"/>, asked with a probe socket made on the calling thread (so in its
    /// network namespace: make the client, server or router on a thread in its sockets' namespace, as the CreateUdp
    /// factories do); null where it cannot be known (not Linux, no route, a wildcard or port 0).
    /// </summary>
    public static int? To(PacketAddress destination)
    {
        var endPoint = destination.ToEndPoint();
        if (!OperatingSystem.IsLinux() || destination.Port == 0 || endPoint.Address.Equals(IPAddress.Any) || endPoint.Address.Equals(IPAddress.IPv6Any))
        {
            return null;
        }

        try
        {
            using var probe = new Socket(destination.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(endPoint);
            return Of(probe, destination.IsIPv6);
        }
        catch (SocketException)
        {
            return null; // no route: sending will say so
        }
    }

    /// <summary>The route MTU of a connected socket (in whatever namespace it lives); null where unknown.</summary>
    public static int? Of(Socket connected, bool ipv6)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            Span<byte> value = stackalloc byte[4];
            var length = connected.GetRawSocketOption(ipv6 ? (int)SocketOptionLevel.IPv6 : (int)SocketOptionLevel.IP, ipv6 ? Ipv6Mtu : IpMtu, value);
            return length == 4 && BitConverter.ToInt32(value) is var mtu and > 0 ? mtu : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>The largest payload whose datagram fits a route of <paramref name="mtu"/> bytes.</summary>
    public static int LargestPayload(int mtu, bool ipv6) => mtu - Overhead(ipv6);

    /// <summary>
    /// The payload size to use toward <paramref name="destination"/>: <paramref name="payloadSize"/> where it fits the
    /// route (or the route is unknown); the default (<see cref="Protocol.Fragmenter.DefaultPayloadSize"/>) lowered to the
    /// largest that fits; any other size that does not fit is refused with an <see cref="ArgumentException"/>.
    /// </summary>
    public static int Fit(int payloadSize, PacketAddress destination, int? routeMtu, string setting)
        => Misfit(payloadSize, destination, routeMtu, setting) is not { } misfit ? payloadSize
            : payloadSize == Protocol.Fragmenter.DefaultPayloadSize ? Math.Min(payloadSize, LargestPayload(routeMtu!.Value, destination.IsIPv6))
            : throw new ArgumentException(misfit);

    /// <summary>
    /// Null when a datagram of <paramref name="payloadSize"/> payload bytes fits the route to <paramref name="destination"/>
    /// (or its MTU is unknown); otherwise why not, naming the largest payload size that fits.
    /// </summary>
    public static string? Misfit(int payloadSize, PacketAddress destination, string setting) => Misfit(payloadSize, destination, To(destination), setting);

    /// <inheritdoc cref="Misfit(int, PacketAddress, string)"/>
    public static string? Misfit(int payloadSize, PacketAddress destination, int? routeMtu, string setting)
    {
        if (routeMtu is not { } mtu)
        {
            return null;
        }

        var overhead = Overhead(destination.IsIPv6);
        return payloadSize + overhead <= mtu
            ? null
            : $"{setting} {payloadSize} makes {payloadSize + overhead}-byte {(destination.IsIPv6 ? "IPv6" : "IPv4")} packets (with {overhead} bytes of R2P2, UDP and IP headers), over the {mtu}-byte MTU of the route to {destination}: set it to {mtu - overhead} or less (docs/operations.md, \"MTU and payload size\").";
    }
}
