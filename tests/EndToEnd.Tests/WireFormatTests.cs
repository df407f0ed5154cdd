using System;
using System.Buffers;
using System.Threading.Tasks;
using TailGuard.EndToEnd.Tests.Infrastructure;
using TailGuard.EndToEnd.Tests.Services;
using TailGuard.R2P2;

namespace TailGuard.EndToEnd.Tests;

/// <summary>The worked examples of docs/wire-format.md, byte for byte, in both directions.</summary>
public sealed class WireFormatTests
{
    private static readonly byte[] PutRequest = { 0xF7, 0xE3, 0x01, 0x00, 0x00, 0x00, 0x6B, 0x01, 0x00, 0x00, 0x00, 0x76 };
    private static readonly byte[] GetRequest = { 0x60, 0x88, 0x01, 0x00, 0x00, 0x00, 0x6B, 0x10, 0x00, 0x00, 0x00 };
    private static readonly byte[] GetResponse = { 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x76 };

    /// <summary>Records the request payload and answers with canned bytes: a peer that only speaks the documented format.</summary>
    private sealed class RecordingPeer : IR2P2Handler
    {
        private readonly byte[] _answer;

        public RecordingPeer(byte[] answer) => _answer = answer;

        public byte[]? Request { get; private set; }

        public RoutingPolicy Policy { get; private set; }

        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            Request = request.Payload.ToArray();
            Policy = request.Policy;
            response.Write(_answer);
        }
    }

    [Fact]
    public void The_dispatcher_answers_the_documented_requests_with_the_documented_bytes()
    {
        var dispatcher = new StoreDispatcher(new Store());

        Assert.Equal(new byte[] { 0x00, 0x01 }, DispatcherProbe.Call(dispatcher, PutRequest));
        Assert.Equal(GetResponse, DispatcherProbe.Call(dispatcher, GetRequest));
    }

    [Fact]
    public async Task The_client_sends_the_documented_bytes_and_reads_the_documented_answers()
    {
        var putPeer = new RecordingPeer(new byte[] { 0x00, 0x01 });
        await using (var service = new TestService(putPeer))
        {
            Assert.True(await new StoreClient(service.Client).PutAsync("k"u8.ToArray(), "v"u8.ToArray()));
        }

        var getPeer = new RecordingPeer(GetResponse);
        byte[] destination = new byte[16];
        await using (var service = new TestService(getPeer))
        {
            Assert.Equal(1, await new StoreClient(service.Client).GetAsync("k"u8.ToArray(), destination));
        }

        Assert.Equal(PutRequest, putPeer.Request);
        Assert.Equal(GetRequest, getPeer.Request);
        Assert.Equal((byte)'v', destination[0]);
    }

    [Fact]
    public async Task A_response_with_more_bytes_than_the_destination_holds_is_malformed()
    {
        var peer = new RecordingPeer(new byte[] { 0x00, 0x03, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 1, 2, 3 });
        await using var service = new TestService(peer);

        await Assert.ThrowsAsync<R2P2MalformedResponseException>(async () => await new StoreClient(service.Client).GetAsync("k"u8.ToArray(), new byte[2]));
    }

    [Fact]
    public async Task An_empty_or_truncated_response_is_malformed_and_an_unknown_status_is_a_service_error()
    {
        await using (var empty = new TestService(new RecordingPeer(Array.Empty<byte>())))
        {
            await Assert.ThrowsAsync<R2P2MalformedResponseException>(async () => await new StoreClient(empty.Client).PutAsync("k"u8.ToArray(), "v"u8.ToArray()));
        }

        await using (var truncated = new TestService(new RecordingPeer(new byte[] { 0x00 })))
        {
            await Assert.ThrowsAsync<R2P2MalformedResponseException>(async () => await new StoreClient(truncated.Client).PutAsync("k"u8.ToArray(), "v"u8.ToArray()));
        }

        await using var unknown = new TestService(new RecordingPeer(new byte[] { 0x99 }));
        var error = await Assert.ThrowsAsync<R2P2ServiceException>(async () => await new StoreClient(unknown.Client).PutAsync("k"u8.ToArray(), "v"u8.ToArray()));
        Assert.Equal((R2P2ServiceStatus)0x99, error.Status);
    }

    [Fact]
    public async Task Each_call_carries_its_methods_routing_policy_in_the_R2P2_header()
    {
        var peer = new RecordingPeer(new byte[] { 0x00 });
        await using var service = new TestService(peer);
        var client = new PoliciesClient(service.Client);

        await client.PinnedAsync();
        Assert.Equal(RoutingPolicy.Fixed, peer.Policy);

        await client.SpreadAsync();
        Assert.Equal(RoutingPolicy.LoadBalanced, peer.Policy);
        Assert.Equal(new byte[] { 9, 0 }, peer.Request);
    }
}
