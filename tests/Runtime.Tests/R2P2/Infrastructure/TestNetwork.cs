using System.Net;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;

namespace TailGuard.Tests.R2P2.Infrastructure;

/// <summary>Where a test runs: the in-memory network or real UDP on loopback. Both give real endpoints.</summary>
public abstract class TestNetwork
{
    public abstract string Name { get; }

    /// <summary>A fresh endpoint (a client, a server, or a raw peer that plays one by hand).</summary>
    public abstract PacketTransport Bind();

    public override string ToString() => Name;
}

public sealed class InMemoryTestNetwork : TestNetwork
{
    private int _nextHost = 1;

    public InMemoryTestNetwork(int seed = 1, NetworkFaults? faults = null) => Network = new InMemoryNetwork(seed, faults);

    public InMemoryNetwork Network { get; }

    public override string Name => "in-memory";

    /// <summary>Each endpoint on its own host (10.0.0.N), so addresses differ in IP as well as port.</summary>
    public override PacketTransport Bind() => Network.Bind(new PacketAddress(0x0A000000u | (uint)System.Threading.Interlocked.Increment(ref _nextHost), 0));
}

public sealed class UdpTestNetwork(bool batchedSystemCalls = true) : TestNetwork
{
    public override string Name => batchedSystemCalls ? "udp-loopback" : "udp-loopback-portable";

    /// <summary>Real UDP sockets on 127.0.0.1, ephemeral ports; recvmmsg/sendmmsg or the portable Socket path.</summary>
    public override PacketTransport Bind()
        => UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0), new UdpTransportOptions { UseBatchedSystemCalls = batchedSystemCalls });
}
