using System.Net;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;

namespace TailGuard.Tests.R2P2.Infrastructure;

/// <summary>Where a test runs: the in-memory network or real UDP on loopback, IPv4 or IPv6. All give real endpoints.</summary>
public abstract class TestNetwork
{
    public abstract string Name { get; }

    /// <summary>Whether endpoints get IPv6 addresses.</summary>
    public abstract bool IsIPv6 { get; }

    /// <summary>A fresh endpoint (a client, a server, or a raw peer that plays one by hand).</summary>
    public abstract PacketTransport Bind();

    /// <summary>
    /// A fresh endpoint for a raw peer. The same as <see cref="Bind"/> unless a network puts the code under test and
    /// the peers that play its counterpart on different kinds of endpoint (AF_XDP on one side, kernel UDP on the other).
    /// </summary>
    public virtual PacketTransport BindPeer() => Bind();

    /// <summary>
    /// A server on a fresh endpoint from <see cref="Bind"/>. A network whose endpoints live in another network namespace
    /// makes it on a thread in that namespace: a server behind a router asks the kernel for the route MTU to the router
    /// from the constructing thread (docs/operations.md, "MTU and payload size").
    /// </summary>
    public virtual R2P2Server Server(IR2P2Handler handler, R2P2ServerOptions? options) => new(Bind(), handler, options);

    /// <summary>A fresh endpoint whose receive queue holds only a few datagrams (what arrives while it is full is dropped and counted).</summary>
    public virtual PacketTransport BindWithSmallReceiveQueue() => throw new System.NotSupportedException($"The {Name} test network has no endpoint with a small receive queue.");

    public override string ToString() => Name;
}

public sealed class InMemoryTestNetwork : TestNetwork
{
    private readonly bool _ipv6;
    private int _nextHost = 1;

    public InMemoryTestNetwork(int seed = 1, NetworkFaults? faults = null, bool ipv6 = false)
    {
        Network = new InMemoryNetwork(seed, faults);
        _ipv6 = ipv6;
    }

    public InMemoryNetwork Network { get; }

    public override string Name => _ipv6 ? "in-memory-ipv6" : "in-memory";

    public override bool IsIPv6 => _ipv6;

    /// <summary>Each endpoint on its own host (10.0.0.N or fd00::N), so addresses differ in IP as well as port.</summary>
    public override PacketTransport Bind()
    {
        var host = System.Threading.Interlocked.Increment(ref _nextHost);
        return _ipv6
            ? Network.Bind(PacketAddress.Parse($"[fd00::{host:x}]:0"))
            : Network.Bind(new PacketAddress(0x0A000000u | (uint)host, 0));
    }

    /// <summary>An inbox of 4 datagrams, as a socket with a tiny receive buffer.</summary>
    public override PacketTransport BindWithSmallReceiveQueue()
    {
        var host = System.Threading.Interlocked.Increment(ref _nextHost);
        return _ipv6
            ? Network.Bind(PacketAddress.Parse($"[fd00::{host:x}]:0"), inboxCapacity: 4)
            : Network.Bind(new PacketAddress(0x0A000000u | (uint)host, 0), inboxCapacity: 4);
    }
}

public sealed class UdpTestNetwork(bool batchedSystemCalls = true, bool ipv6 = false) : TestNetwork
{
    public override string Name => (batchedSystemCalls ? "udp-loopback" : "udp-loopback-portable") + (ipv6 ? "-ipv6" : string.Empty);

    public override bool IsIPv6 => ipv6;

    /// <summary>Real UDP sockets on 127.0.0.1 or ::1, ephemeral ports; recvmmsg/sendmmsg or the portable Socket path.</summary>
    public override PacketTransport Bind()
        => UdpTransport.Bind(new IPEndPoint(ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0), new UdpTransportOptions { UseBatchedSystemCalls = batchedSystemCalls });

    /// <summary>SO_RCVBUF of 1 byte: the kernel raises it to its minimum, a few small datagrams.</summary>
    public override PacketTransport BindWithSmallReceiveQueue()
        => UdpTransport.Bind(new IPEndPoint(ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0), new UdpTransportOptions { UseBatchedSystemCalls = batchedSystemCalls, ReceiveBufferBytes = 1 });
}
