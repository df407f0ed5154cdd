using System;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;
using static TailGuard.Tests.R2P2.Infrastructure.Condition;

namespace TailGuard.Tests.R2P2;

/// <summary>Client behaviours beyond the wire cases: cancellation, per-call timeouts, leases, limits and disposal.</summary>
public sealed class ClientBehaviourTests : IDisposable
{
    private readonly InMemoryNetwork _network = new(seed: 9);
    private readonly RawPeer _server;
    private readonly R2P2Client _client;

    public ClientBehaviourTests()
    {
        _server = new RawPeer(_network.Bind("10.0.0.1:9000"));
        _client = new R2P2Client(_network.Bind("10.0.0.2:0"), _server.Address, new R2P2ClientOptions { MaxInFlight = 4, Timeout = TimeSpan.FromSeconds(30) });
    }

    [Fact]
    public async Task Cancelling_a_call_ends_it_once_with_OperationCanceledException_and_frees_its_rid()
    {
        using var cancellation = new CancellationTokenSource();
        var call = _client.CallAsync("c"u8.ToArray(), RoutingPolicy.LoadBalanced, cancellation.Token);
        var request = _server.Receive();

        await cancellation.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.AsTask().WaitAsync(Payloads.Generous));
        Assert.Equal(cancellation.Token, error.CancellationToken);
        Assert.Equal(0, _client.InFlightCount);

        _server.Send(request.Source, Wire.Packet(Wire.Response, Wire.OnePacket, request.RequestId, 1, "late"u8));
        await Eventually(() => _client.Statistics.MalformedDatagrams == 1);
        Assert.Equal(1, _client.Statistics.Cancellations);
        Assert.Equal(0, _client.Statistics.Responses);
    }

    [Fact]
    public async Task An_already_cancelled_token_sends_nothing()
    {
        var call = _client.CallAsync("c"u8.ToArray(), RoutingPolicy.LoadBalanced, new CancellationToken(canceled: true));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.AsTask());
        Assert.False(_server.TryReceive(TimeSpan.FromMilliseconds(100), out _));
    }

    [Fact]
    public async Task A_per_call_timeout_overrides_the_clients()
    {
        var call = _client.CallAsync("t"u8.ToArray(), RoutingPolicy.Fixed, TimeSpan.FromMilliseconds(100));
        var request = _server.Receive();

        await Assert.ThrowsAsync<R2P2TimeoutException>(() => call.AsTask().WaitAsync(Payloads.Generous));
        Assert.Equal(0x01, request.TypePolicy); // FIXED carried in the header
    }

    [Fact]
    public async Task Disposing_a_lease_twice_returns_its_buffers_once()
    {
        var first = _client.CallAsync("a"u8.ToArray());
        var request = _server.Receive();
        _server.Send(request.Source, Wire.Packet(Wire.Response, Wire.OnePacket, request.RequestId, 1, "one"u8));
        var response = await first.AsTask().WaitAsync(Payloads.Generous);
        var copy = response;
        response.Dispose();

        // The pooled call is reused by the next call; the stale copy's dispose must not touch it.
        var second = _client.CallAsync("b"u8.ToArray());
        var next = _server.Receive();
        _server.Send(next.Source, Wire.Packet(Wire.Response, Wire.OnePacket, next.RequestId, 1, "two"u8));
        using var secondResponse = await second.AsTask().WaitAsync(Payloads.Generous);
        copy.Dispose();
        response.Dispose();

        // Had a stale dispose recycled the live lease, the third response would land in its buffer.
        var third = _client.CallAsync("c"u8.ToArray());
        var last = _server.Receive();
        _server.Send(last.Source, Wire.Packet(Wire.Response, Wire.OnePacket, last.RequestId, 1, "333"u8));
        using var thirdResponse = await third.AsTask().WaitAsync(Payloads.Generous);

        Assert.Equal("two"u8.ToArray(), Payloads.ToArray(secondResponse.Payload));
        Assert.Equal("333"u8.ToArray(), Payloads.ToArray(thirdResponse.Payload));
    }

    [Fact]
    public void More_calls_than_MaxInFlight_are_refused_with_a_clear_error()
    {
        for (var i = 0; i < 4; i++)
        {
            _ = _client.CallAsync("x"u8.ToArray()).AsTask();
        }

        var error = Assert.Throws<InvalidOperationException>(() => { _ = _client.CallAsync("x"u8.ToArray()).AsTask(); });
        Assert.Contains("MaxInFlight", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, _client.InFlightCount);
    }

    [Fact]
    public async Task A_writer_that_throws_fails_synchronously_and_leaves_nothing_in_flight()
    {
        Assert.Throws<FormatException>(() => { _ = _client.CallAsync(0, static (System.Buffers.IBufferWriter<byte> _, in int _) => throw new FormatException("bad argument")).AsTask(); });
        Assert.Equal(0, _client.InFlightCount);
        Assert.False(_server.TryReceive(TimeSpan.FromMilliseconds(100), out _));

        var call = _client.CallAsync("ok"u8.ToArray());
        var request = _server.Receive();
        _server.Send(request.Source, Wire.Packet(Wire.Response, Wire.OnePacket, request.RequestId, 1));
        using var response = await call.AsTask().WaitAsync(Payloads.Generous);
    }

    [Fact]
    public async Task Disposing_the_client_ends_calls_in_flight_with_ObjectDisposedException()
    {
        var call = _client.CallAsync("d"u8.ToArray());
        _server.Receive();

        await _client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => call.AsTask().WaitAsync(Payloads.Generous));
        Assert.Throws<ObjectDisposedException>(() => { _ = _client.CallAsync("e"u8.ToArray()).AsTask(); });
    }

    [Fact]
    public void Bad_options_are_refused_with_the_setting_named()
    {
        using var transport = _network.Bind("10.0.0.3:0");
        var error = Assert.Throws<ArgumentException>(() => new R2P2Client(transport, _server.Address, new R2P2ClientOptions { PayloadSize = 70_000 }));
        Assert.Contains("PayloadSize", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }
}
