using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Routing;

/// <summary>
/// A router on a dual-stack [::] port on loopback, forwarding through the raw sockets, with servers on 127.0.0.1 (their
/// FEEDBACK reaches the [::] port over IPv4, IPv4-mapped) and on ::1, and clients of either family calling it at
/// 127.0.0.1 or ::1. Requests and FEEDBACK share the port. Everything is disposed with the rig.
/// </summary>
internal sealed class DualStackRig : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private readonly ushort _port;

    private DualStackRig(ushort port) => _port = port;

    public R2P2Router Router { get; private set; } = null!;

    public List<R2P2Server> IPv4Servers { get; } = [];

    public List<R2P2Server> IPv6Servers { get; } = [];

    /// <summary>The router's port as IPv4 clients and servers reach it.</summary>
    public PacketAddress IPv4Address => PacketAddress.FromEndPoint(new IPEndPoint(IPAddress.Loopback, _port));

    /// <summary>The router's port as IPv6 clients and servers reach it.</summary>
    public PacketAddress IPv6Address => PacketAddress.FromEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, _port));

    /// <summary>A [::] router in front of <paramref name="ipv4Servers"/> echo servers on 127.0.0.1 and <paramref name="ipv6Servers"/> on ::1 (IPv4 ones first in the list given to <paramref name="options"/>).</summary>
    public static DualStackRig Start(int ipv4Servers, int ipv6Servers, Func<IReadOnlyList<PacketAddress>, R2P2RouterOptions> options)
    {
        var port = UdpTransport.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        var rig = new DualStackRig(port.LocalAddress.Port);
        PacketForwarder? forwarder = null;
        try
        {
            for (var i = 0; i < ipv4Servers; i++)
            {
                rig.NewServer(ipv6: false);
            }

            for (var i = 0; i < ipv6Servers; i++)
            {
                rig.NewServer(ipv6: true);
            }

            forwarder = RawSocketForwarder.Open();
            rig.Router = new R2P2Router(port, forwarder, options([.. rig.IPv4Servers.Select(s => s.LocalAddress), .. rig.IPv6Servers.Select(s => s.LocalAddress)]));
            return rig;
        }
        catch
        {
            port.Dispose();
            forwarder?.Dispose();
            rig.Dispose();
            throw;
        }
    }

    /// <summary>An echo server of one family whose FEEDBACK goes to this router (to join, <see cref="R2P2Router.AddServer"/> it).</summary>
    public R2P2Server NewServer(bool ipv6)
    {
        var server = new R2P2Server(UdpTransport.Bind(new IPEndPoint(ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0)), new EchoHandler(), new R2P2ServerOptions { RouterAddress = ipv6 ? IPv6Address : IPv4Address });
        (ipv6 ? IPv6Servers : IPv4Servers).Add(server);
        return server;
    }

    /// <summary>A client of one family calling the router, taking answers from <paramref name="sources"/> (DROPs come from the router).</summary>
    public R2P2Client Client(bool ipv6, ResponseSources sources, TimeSpan? timeout = null)
    {
        var client = new R2P2Client(UdpTransport.Bind(new IPEndPoint(ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0)), ipv6 ? IPv6Address : IPv4Address, new R2P2ClientOptions { Timeout = timeout ?? Payloads.Generous, ResponseSources = sources });
        _owned.Add(client);
        return client;
    }

    public void Dispose()
    {
        foreach (var resource in _owned)
        {
            resource.Dispose();
        }

        Router?.Dispose();
        foreach (var server in IPv4Servers.Concat(IPv6Servers))
        {
            server.Dispose();
        }
    }
}
