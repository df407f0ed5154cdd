using System;
using System.Threading.Tasks;
using TailGuard.R2P2;

namespace TailGuard.EndToEnd.Tests.Infrastructure;

/// <summary>A server hosting one handler and a client pointed at it, on a fresh in-memory network.</summary>
internal sealed class InMemoryService : IAsyncDisposable
{
    private static int s_nextHost = 1;

    public InMemoryService(IR2P2Handler handler, R2P2ClientOptions? clientOptions = null)
    {
        Network = new InMemoryNetwork(seed: 11);
        int host = System.Threading.Interlocked.Increment(ref s_nextHost);
        Server = new R2P2Server(Network.Bind("10.1.0." + (host % 250 + 1) + ":9000"), handler);
        Client = new R2P2Client(Network.Bind("10.2.0." + (host % 250 + 1) + ":0"), Server.LocalAddress, clientOptions ?? new R2P2ClientOptions { Timeout = Generous });
    }

    public static TimeSpan Generous { get; } = TimeSpan.FromSeconds(10);

    public InMemoryNetwork Network { get; }

    public R2P2Server Server { get; }

    public R2P2Client Client { get; }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }
}
