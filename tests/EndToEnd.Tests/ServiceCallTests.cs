using System;
using System.Buffers;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.EndToEnd.Tests.Infrastructure;
using TailGuard.EndToEnd.Tests.Services;
using TailGuard.R2P2;

namespace TailGuard.EndToEnd.Tests;

/// <summary>
/// Generated client -> R2P2 client -> in-memory network or UDP loopback -> R2P2 server -> generated dispatcher ->
/// implementation, and back.
/// </summary>
public sealed class ServiceCallTests
{
    [Theory]
    [MemberData(nameof(TestService.Transports), MemberType = typeof(TestService))]
    public async Task Every_supported_type_round_trips(TransportKind transport)
    {
        var sink = new KitchenSink();
        await using var service = new TestService(new KitchenSinkDispatcher(sink), transport: transport);
        var client = new KitchenSinkClient(service.Client);
        var sample = new Sample { Id = 21, Value = 1.25, Flag = true };
        var id = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");

        await client.PingAsync();
        Assert.Equal(1, sink.Pings);
        Assert.False(await client.NotAsync(true));
        Assert.Equal((byte)250, await client.AddBytesAsync(255, -5));
        Assert.Equal(unchecked((short)(-1000 + 60000 + 'A')), await client.ShortsAsync(-1000, 60000, 'A'));
        Assert.Equal(unchecked((uint)-1 + 5u), await client.IntsAsync(-1, 5));
        Assert.Equal(long.MinValue + 1, await client.LongsAsync(long.MinValue, 1));
        Assert.Equal(float.MaxValue, await client.FloatsAsync(float.MaxValue / 2));
        Assert.Equal(0.5, await client.DoublesAsync(1, 2));
        Assert.Equal(79228162514264337593543950335m / 3 * 3, await client.MoneyAsync(79228162514264337593543950335m / 3));
        Assert.Equal(Mood.Angry, await client.FlipAsync(Mood.Calm));
        Assert.Equal(Big.Max, await client.NegateAsync(Big.Min));
        Sample twice = await client.TwiceAsync(sample);
        Assert.Equal((42, 2.5, false), (twice.Id, twice.Value, twice.Flag));
        Assert.Equal(id, await client.EchoAsync(id));
        Assert.Equal("héllo wörld", await client.ConcatAsync("héllo ", "wörld"));
        Assert.Equal("ÄBC", await client.ShoutAsync("äbc"));
        Assert.Equal(3000, await client.LengthAsync(new byte[3000]));
        Assert.Equal(0, await client.LengthAsync(ReadOnlyMemory<byte>.Empty));
    }

    [Theory]
    [MemberData(nameof(TestService.Transports), MemberType = typeof(TestService))]
    public async Task A_destination_result_is_copied_into_the_callers_memory(TransportKind transport)
    {
        await using var service = new TestService(new KitchenSinkDispatcher(new KitchenSink()), transport: transport);
        var client = new KitchenSinkClient(service.Client);
        byte[] destination = new byte[8];

        int written = await client.ReverseAsync(new byte[] { 1, 2, 3 }, destination);

        Assert.Equal(3, written);
        Assert.Equal(new byte[] { 3, 2, 1, 0, 0, 0, 0, 0 }, destination);
    }

    [Theory]
    [MemberData(nameof(TestService.Transports), MemberType = typeof(TestService))]
    public async Task A_destination_result_out_of_range_copies_nothing_and_returns_the_result(TransportKind transport)
    {
        await using var service = new TestService(new KitchenSinkDispatcher(new KitchenSink()), transport: transport);
        var client = new KitchenSinkClient(service.Client);
        byte[] destination = { 9, 9 };

        int written = await client.ReverseAsync(new byte[] { 1, 2, 3 }, destination);

        Assert.Equal(-3, written);
        Assert.Equal(new byte[] { 9, 9 }, destination);
    }

    [Theory]
    [MemberData(nameof(TestService.Transports), MemberType = typeof(TestService))]
    public async Task A_destination_result_can_be_leased_over_the_receive_buffer(TransportKind transport)
    {
        await using var service = new TestService(new KitchenSinkDispatcher(new KitchenSink()), transport: transport);
        var client = new KitchenSinkClient(service.Client);
        byte[] data = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();

        using (R2P2ResultLease<int> lease = await client.ReverseLeaseAsync(data, 6000))
        {
            Assert.Equal(5000, lease.Result);
            Assert.Equal(data.Reverse().ToArray(), lease.Bytes.ToArray());
        }

        using R2P2ResultLease<int> tooSmall = await client.ReverseLeaseAsync(data, 10);
        Assert.Equal(-5000, tooSmall.Result);
        Assert.True(tooSmall.Bytes.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(TestService.Transports), MemberType = typeof(TestService))]
    public async Task The_store_serves_multi_packet_values_with_both_result_policies(TransportKind transport)
    {
        await using var service = new TestService(new StoreDispatcher(new Store()), transport: transport);
        var client = new StoreClient(service.Client);
        byte[] value = Enumerable.Range(0, 4000).Select(i => (byte)(i * 7)).ToArray();

        Assert.True(await client.PutAsync(new byte[] { 1 }, value));
        byte[] copy = new byte[4096];
        Assert.Equal(4000, await client.GetAsync(new byte[] { 1 }, copy));
        Assert.Equal(value, copy.AsSpan(0, 4000).ToArray());
        using (var lease = await client.GetLeaseAsync(new byte[] { 1 }, 4096))
        {
            Assert.Equal(value, lease.Bytes.ToArray());
        }

        Assert.Equal(-1, await client.GetAsync(new byte[] { 2 }, copy));
    }

    [Theory]
    [MemberData(nameof(TestService.Transports), MemberType = typeof(TestService))]
    public async Task An_implementation_exception_becomes_HandlerFailed_and_stays_on_the_server(TransportKind transport)
    {
        Exception? observed = null;
        await using var service = new TestService(new KitchenSinkDispatcher(new KitchenSink(), e => observed = e), transport: transport);
        var client = new KitchenSinkClient(service.Client);

        var error = await Assert.ThrowsAsync<R2P2ServiceException>(async () => await client.FailAsync("the secret"));

        Assert.Equal(R2P2ServiceStatus.HandlerFailed, error.Status);
        Assert.DoesNotContain("the secret", error.Message, StringComparison.Ordinal);
        Assert.Equal("the secret", Assert.IsType<InvalidOperationException>(observed).Message);
        await client.PingAsync();
    }

    [Theory]
    [MemberData(nameof(TestService.Transports), MemberType = typeof(TestService))]
    public async Task A_result_longer_than_its_bound_becomes_InvalidResult(TransportKind transport)
    {
        await using var service = new TestService(new KitchenSinkDispatcher(new KitchenSink()), transport: transport);
        var client = new KitchenSinkClient(service.Client);

        var error = await Assert.ThrowsAsync<R2P2ServiceException>(async () => await client.ShoutAsync("much too long"));

        Assert.Equal(R2P2ServiceStatus.InvalidResult, error.Status);
    }

    [Theory]
    [MemberData(nameof(TestService.Transports), MemberType = typeof(TestService))]
    public async Task The_client_refuses_arguments_beyond_their_bounds_before_sending(TransportKind transport)
    {
        await using var service = new TestService(new KitchenSinkDispatcher(new KitchenSink()), transport: transport);
        var client = new KitchenSinkClient(service.Client);

        await Assert.ThrowsAsync<ArgumentException>(async () => await client.ConcatAsync("a", new string('b', 17)));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await client.ConcatAsync(null!, "b"));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await client.ReverseLeaseAsync(new byte[1], 65537));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await client.ReverseLeaseAsync(new byte[1], -1));
        Assert.Equal(0, service.Server.Statistics.Requests);
    }

    [Theory]
    [MemberData(nameof(TestService.Transports), MemberType = typeof(TestService))]
    public async Task An_unknown_method_gets_an_error_response(TransportKind transport)
    {
        await using var service = new TestService(new CalculatorV1Dispatcher(new CalculatorV1()), transport: transport);
        var newer = new CalculatorV2Client(service.Client);

        var error = await Assert.ThrowsAsync<R2P2ServiceException>(async () => await newer.NegateAsync(1));

        Assert.Equal(R2P2ServiceStatus.UnknownMethod, error.Status);
    }

    [Theory]
    [MemberData(nameof(TestService.Transports), MemberType = typeof(TestService))]
    public async Task An_older_server_ignores_arguments_a_newer_client_appended(TransportKind transport)
    {
        await using var service = new TestService(new CalculatorV1Dispatcher(new CalculatorV1()), transport: transport);

        Assert.Equal(5, await new CalculatorV2Client(service.Client).AddAsync(2, 3, 100));
    }

    [Theory]
    [MemberData(nameof(TestService.Transports), MemberType = typeof(TestService))]
    public async Task A_shorter_argument_block_is_malformed(TransportKind transport)
    {
        await using var service = new TestService(new CalculatorV1Dispatcher(new CalculatorV1()), transport: transport);

        var error = await Assert.ThrowsAsync<R2P2ServiceException>(async () => await new CalculatorV0Client(service.Client).AddAsync(2));

        Assert.Equal(R2P2ServiceStatus.MalformedArguments, error.Status);
    }

    [Theory]
    [MemberData(nameof(TestService.Transports), MemberType = typeof(TestService))]
    public async Task Cancelling_a_call_ends_it_with_OperationCanceledException(TransportKind transport)
    {
        (PacketTransport silent, PacketTransport local) = TestService.Bind(transport);
        using var silentPeer = silent;
        // Nothing answers at the destination, so only cancellation can end the call (its timer is far away).
        await using var raw = new R2P2Client(local, silent.LocalAddress, new R2P2ClientOptions { Timeout = TimeSpan.FromMinutes(5) });
        var client = new KitchenSinkClient(raw);
        using var cancellation = new CancellationTokenSource();

        ValueTask<Guid> call = client.EchoAsync(Guid.NewGuid(), cancellation.Token);
        Assert.False(call.IsCompleted);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await call.AsTask().WaitAsync(TestService.Generous));
        Assert.Equal(0, raw.InFlightCount);
    }

    [Theory]
    [MemberData(nameof(TestService.Transports), MemberType = typeof(TestService))]
    public async Task Strings_are_utf8_on_the_wire(TransportKind transport)
    {
        await using var service = new TestService(new KitchenSinkDispatcher(new KitchenSink()), transport: transport);
        var client = new KitchenSinkClient(service.Client);
        string text = "日本語 ✓ 🚀";

        Assert.Equal(text + "!", await client.ConcatAsync(text, "!"));
        Assert.True(Encoding.UTF8.GetByteCount(text) > text.Length);
    }
}
