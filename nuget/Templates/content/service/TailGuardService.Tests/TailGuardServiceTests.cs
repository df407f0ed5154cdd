using System.Net;
using TailGuard.R2P2;

namespace TailGuardService.Tests;

/// <summary>Calls the service through the generated client and dispatcher over UDP loopback.</summary>
public sealed class TailGuardServiceTests : IAsyncLifetime
{
    private R2P2Server? _server;
    private R2P2Client? _r2p2;

    private TailGuardServiceClient Client => new(_r2p2!);

    public Task InitializeAsync()
    {
        _server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), new TailGuardServiceDispatcher(new TailGuardServiceHandler()));
        // Generous timeout: CI machines are loaded.
        _r2p2 = R2P2Client.CreateUdp(_server.LocalAddress.ToEndPoint(), new R2P2ClientOptions { Timeout = TimeSpan.FromSeconds(5) });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _r2p2!.DisposeAsync();
        await _server!.DisposeAsync();
    }

    [Fact]
    public async Task Add_returns_the_sum_computed_by_the_server()
    {
        Assert.Equal(42, await Client.AddAsync(40, 2));
        Assert.Equal(long.MinValue + 1, await Client.AddAsync(long.MinValue, 1));
    }

    [Fact]
    public async Task Reverse_writes_the_reversed_text_into_the_destination()
    {
        byte[] destination = new byte[256];

        int length = await Client.ReverseAsync("stressed"u8.ToArray(), destination);

        Assert.Equal("desserts"u8.ToArray(), destination.AsSpan(0, length).ToArray());
    }
}
