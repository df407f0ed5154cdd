using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2;

public sealed class InMemoryEchoTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(1464)]
    [InlineData(1465)]
    [InlineData(3000)]
    [InlineData(100_000)]
    public async Task Echo_returns_the_request_payload(int length)
    {
        var network = new InMemoryNetwork(seed: 7);
        var handler = new EchoHandler();
        await using var server = new R2P2Server(network.Bind("10.0.0.1:9000"), handler);
        await using var client = new R2P2Client(network.Bind("10.0.0.2:0"), server.LocalAddress);
        var payload = Payloads.Make(length);

        using var response = await client.CallAsync(payload).AsTask().WaitAsync(Payloads.Generous);

        Assert.Equal(payload, Payloads.ToArray(response.Payload));
        Assert.Equal(1, handler.Calls);
        Assert.Equal(0, client.InFlightCount);
    }
}
