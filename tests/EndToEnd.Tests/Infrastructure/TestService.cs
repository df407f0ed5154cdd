using System;
using System.Net;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;

namespace TailGuard.EndToEnd.Tests.Infrastructure;

/// <summary>Where a test's packets travel.</summary>
public enum TransportKind
{
    /// <summary>A fresh <see cref="InMemoryNetwork"/>.</summary>
    InMemory,

    /// <summary>Real UDP sockets on 127.0.0.1, ports chosen by the kernel.</summary>
    UdpLoopback,
}

/// <summary>A server hosting one handler and a client pointed at it, over the chosen transport.</summary>
internal sealed class TestService : IAsyncDisposable
{
    private static int s_nextHost;

    public TestService(IR2P2Handler handler, R2P2ClientOptions? clientOptions = null, TransportKind transport = TransportKind.InMemory)
    {
        (PacketTransport serverTransport, PacketTransport clientTransport) = Bind(transport);
        Server = new R2P2Server(serverTransport, handler);
        Client = new R2P2Client(clientTransport, Server.LocalAddress, clientOptions ?? new R2P2ClientOptions { Timeout = Generous });
    }

    public static TimeSpan Generous { get; } = TimeSpan.FromSeconds(10);

    public static TheoryData<TransportKind> Transports => new() { TransportKind.InMemory, TransportKind.UdpLoopback };

    public R2P2Server Server { get; }

    public R2P2Client Client { get; }

    /// <summary>Two transports that can reach each other: the first for a server (or a silent peer), the second for a client.</summary>
    public static (PacketTransport Server, PacketTransport Client) Bind(TransportKind transport)
    {
        if (transport == TransportKind.UdpLoopback)
        {
            return (UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)), UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
        }

        var network = new InMemoryNetwork(seed: 11);
        int host = System.Threading.Interlocked.Increment(ref s_nextHost) % 250 + 1;
        return (network.Bind("10.1.0." + host + ":9000"), network.Bind("10.2.0." + host + ":0"));
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }
}
