using System;
using System.Collections.Generic;
using System.Linq;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Routing;

/// <summary>
/// A router with its servers on one test network: the in-memory network (with its forwarder) or UDP loopback (with a
/// raw socket). Servers send FEEDBACK to the router's FEEDBACK port; everything is disposed with the rig.
/// </summary>
internal sealed class RouterRig : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    private RouterRig(TestNetwork network) => Network = network;

    /// <summary>
    /// A router timer (<see cref="R2P2RouterOptions.QueueTimeout"/>, <see cref="R2P2RouterOptions.FeedbackTimeout"/>) that
    /// only catches hangs, for tests not about it: with the 1 s defaults a loaded machine's stalls answered queued
    /// requests DROP and evicted live servers whose FEEDBACK was merely late.
    /// </summary>
    public static readonly TimeSpan Unhurried = TimeSpan.FromMinutes(1);

    public TestNetwork Network { get; }

    public R2P2Router Router { get; private set; } = null!;

    public List<R2P2Server> Servers { get; } = [];

    /// <summary>Servers played by hand (raw peers), when the rig was started with them.</summary>
    public List<RawPeer> Peers { get; } = [];

    public static PacketForwarder ForwarderFor(TestNetwork network)
        => network is InMemoryTestNetwork memory ? new InMemoryForwarder(memory.Network) : RawSocketForwarder.Open();

    /// <summary>
    /// A router in front of <paramref name="servers"/> R2P2 servers, each with its own handler from <paramref name="handler"/>;
    /// its FEEDBACK port from <paramref name="feedbackPort"/> (a small receive queue) or a fresh endpoint.
    /// </summary>
    public static RouterRig Start(TestNetwork network, int servers, Func<IReadOnlyList<PacketAddress>, R2P2RouterOptions> options, Func<int, IR2P2Handler>? handler = null, Func<PacketAddress, R2P2ServerOptions>? serverOptions = null, Func<PacketTransport>? feedbackPort = null)
    {
        var rig = new RouterRig(network);
        try
        {
            var (data, feedback) = (network.Bind(), feedbackPort?.Invoke() ?? network.Bind());
            for (var i = 0; i < servers; i++)
            {
                var settings = serverOptions?.Invoke(feedback.LocalAddress) ?? new R2P2ServerOptions { RouterAddress = feedback.LocalAddress };
                rig.Servers.Add(new R2P2Server(network.Bind(), handler?.Invoke(i) ?? new EchoHandler(), settings));
            }

            rig.Router = new R2P2Router(data, feedback, ForwarderFor(network), options(rig.Servers.Select(s => s.LocalAddress).ToArray()));
            return rig;
        }
        catch
        {
            rig.Dispose();
            throw;
        }
    }

    /// <summary>A router in front of <paramref name="peers"/> raw peers that play servers byte for byte.</summary>
    public static RouterRig StartWithPeers(TestNetwork network, int peers, Func<IReadOnlyList<PacketAddress>, R2P2RouterOptions> options)
    {
        var rig = new RouterRig(network);
        try
        {
            var (data, feedback) = (network.Bind(), network.Bind());
            for (var i = 0; i < peers; i++)
            {
                rig.Peers.Add(new RawPeer(network.Bind()));
            }

            rig.Router = new R2P2Router(data, feedback, ForwarderFor(network), options(rig.Peers.Select(p => p.Address).ToArray()));
            return rig;
        }
        catch
        {
            rig.Dispose();
            throw;
        }
    }

    public R2P2Client Client(TimeSpan? timeout = null, ResponseSources? sources = null)
        => Own(new R2P2Client(Network.Bind(), Router.LocalAddress, new R2P2ClientOptions { Timeout = timeout ?? Payloads.Generous, ResponseSources = sources ?? ResponseSources.AnyServer })); // servers answer, the router DROPs

    /// <summary>A client that takes answers only from the rig's servers (the router's DROPs come from the destination).</summary>
    public R2P2Client ServerBoundClient(TimeSpan timeout)
        => Client(timeout, ResponseSources.Servers(Servers.Select(s => s.LocalAddress)));

    public RawPeer Peer() => Own(new RawPeer(Network.Bind()));

    /// <summary>A server that joins later: its FEEDBACK goes to this router.</summary>
    public R2P2Server NewServer(IR2P2Handler? handler = null)
    {
        var server = new R2P2Server(Network.Bind(), handler ?? new EchoHandler(), new R2P2ServerOptions { RouterAddress = Router.FeedbackAddress });
        Servers.Add(server);
        return server;
    }

    public T Own<T>(T resource)
        where T : IDisposable
    {
        _owned.Add(resource);
        return resource;
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
}
