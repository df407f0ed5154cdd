using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Threading;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;
using TailGuard.Tests.R2P2.Infrastructure;
using TailGuard.Transport.Xdp.Tests.Infrastructure;

namespace TailGuard.Transport.Xdp.Tests.Routing;

/// <summary>
/// A router on AF_XDP (<c>R2P2Router.CreateXdp</c>) in the router's namespace of a <see cref="BridgedNetwork"/>, with
/// kernel UDP servers (R2P2 servers, or raw peers playing them) in the server's namespace and kernel UDP clients in the
/// client's. Everything is disposed with the rig.
/// </summary>
internal sealed class XdpRouterRig : IDisposable
{
    /// <summary>A protocol timer that only catches hangs (the router's queue and FEEDBACK timeouts, a call's timeout).</summary>
    public static readonly TimeSpan Unhurried = TimeSpan.FromMinutes(1);

    private readonly List<IDisposable> _owned = [];

    private XdpRouterRig(BridgedNetwork network, bool ipv6)
    {
        Network = network;
        IsIPv6 = ipv6;
    }

    public BridgedNetwork Network { get; }

    public bool IsIPv6 { get; }

    public R2P2Router Router { get; private set; } = null!;

    /// <summary>The router's forwarder, and through it the AF_XDP transport it shares with the router.</summary>
    public XdpForwarder Forwarder => (XdpForwarder)Router.Forwarder;

    public XdpTransport Transport => Forwarder.Transport;

    public List<R2P2Server> Servers { get; } = [];

    public List<RawPeer> Peers { get; } = [];

    /// <summary>A router in front of <paramref name="servers"/> echo servers, each its own socket in the server's namespace.</summary>
    public static XdpRouterRig Start(BridgedNetwork network, bool ipv6, int servers, Func<IReadOnlyList<PacketAddress>, R2P2RouterOptions> options)
    {
        var rig = new XdpRouterRig(network, ipv6);
        var sockets = new List<UdpTransport>();
        try
        {
            for (var i = 0; i < servers; i++)
            {
                sockets.Add(rig.ServerSocket());
            }

            rig.Router = CreateRouter(network, ipv6, options(sockets.Select(s => s.LocalAddress).ToArray()));
            while (sockets.Count > 0)
            {
                var socket = sockets[0];
                rig.Servers.Add(NamespaceThread.Run(network.Server.Namespace, () => new R2P2Server(socket, new Echo(), new R2P2ServerOptions { RouterAddress = rig.Router.FeedbackAddress })));
                sockets.RemoveAt(0); // the server owns it now
            }

            return rig;
        }
        catch
        {
            sockets.ForEach(socket => socket.Dispose());
            rig.Dispose();
            throw;
        }
    }

    /// <summary>A router in front of <paramref name="peers"/> raw peers that play servers byte for byte.</summary>
    public static XdpRouterRig StartWithPeers(BridgedNetwork network, bool ipv6, int peers, Func<IReadOnlyList<PacketAddress>, R2P2RouterOptions> options)
    {
        var rig = new XdpRouterRig(network, ipv6);
        try
        {
            for (var i = 0; i < peers; i++)
            {
                rig.Peers.Add(new RawPeer(rig.ServerSocket()));
            }

            rig.Router = CreateRouter(network, ipv6, options(rig.Peers.Select(p => p.Address).ToArray()));
            return rig;
        }
        catch
        {
            rig.Dispose();
            throw;
        }
    }

    /// <summary>A client in the client's namespace that takes answers from any server (they answer it directly) and DROPs from the router.</summary>
    public R2P2Client Client()
        => Own(new R2P2Client(ClientSocket(), Router.LocalAddress, new R2P2ClientOptions { Timeout = Unhurried, ResponseSources = ResponseSources.AnyServer }));

    /// <summary>A raw client in the client's namespace.</summary>
    public RawPeer ClientPeer() => Own(new RawPeer(ClientSocket()));

    /// <summary>Waits until <paramref name="condition"/> holds; fails with <paramref name="what"/> after a timeout that only catches hangs.</summary>
    public static void Eventually(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Unhurried.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            Assert.True(Stopwatch.GetTimestamp() < deadline, $"timed out waiting for {what}");
            Thread.Sleep(5);
        }
    }

    public void Dispose()
    {
        foreach (var resource in _owned)
        {
            resource.Dispose();
        }

        Router?.Dispose();
        foreach (var server in Servers)
        {
            server.Dispose();
        }

        foreach (var peer in Peers)
        {
            peer.Dispose();
        }
    }

    private static R2P2Router CreateRouter(BridgedNetwork network, bool ipv6, R2P2RouterOptions options)
        => NamespaceThread.Run(network.Router.Namespace, () => R2P2Router.CreateXdp(
            new XdpTransportOptions { Interface = network.Router.Interface, LocalAddress = network.Router.Address(ipv6) }, // the UMEM sized for the queue
            options));

    private UdpTransport ServerSocket()
        => NamespaceThread.Run(Network.Server.Namespace, () => UdpTransport.Bind(new IPEndPoint(Network.Server.Address(IsIPv6), 0)));

    private UdpTransport ClientSocket()
        => NamespaceThread.Run(Network.Client.Namespace, () => UdpTransport.Bind(new IPEndPoint(Network.Client.Address(IsIPv6), 0)));

    private T Own<T>(T resource)
        where T : IDisposable
    {
        _owned.Add(resource);
        return resource;
    }
}
