using System;
using System.Buffers;
using System.Threading.Tasks;
using TailGuard.EndToEnd.Tests.Infrastructure;
using TailGuard.EndToEnd.Tests.Services;
using TailGuard.R2P2;

namespace TailGuard.EndToEnd.Tests;

/// <summary>
/// A generated client made over an <see cref="R2P2CallBatch"/>: every call starts at once but its request waits in the
/// batch, and all of them leave at <see cref="R2P2CallBatch.Flush"/> (docs/r2p2-services.md, "Calls that leave together").
/// </summary>
public sealed class BatchedServiceCallTests
{
    [Theory]
    [MemberData(nameof(TestService.Transports), MemberType = typeof(TestService))]
    public async Task Calls_of_a_client_made_over_a_batch_wait_in_it_and_are_answered_after_its_flush(TransportKind transport)
    {
        await using var service = new TestService(new StoreDispatcher(new Store()), transport: transport);
        var batch = service.Client.CreateBatch();
        var client = new StoreClient(batch);
        byte[] first = { 1, 2, 3 }, second = { 4, 5, 6, 7 };

        var putFirst = client.PutAsync(new byte[] { 1 }, first);
        var putSecond = client.PutAsync(new byte[] { 2 }, second);

        // Started (in flight, each with its rid and timer) but not sent: the server has seen nothing.
        Assert.Equal(2, batch.Count);
        Assert.Equal(2, service.Client.InFlightCount);
        Assert.False(putFirst.IsCompleted || putSecond.IsCompleted);
        Assert.Equal(0, service.Server.Statistics.Requests);

        batch.Flush();

        Assert.Equal(0, batch.Count);
        Assert.True(await putFirst.AsTask().WaitAsync(TestService.Generous));
        Assert.True(await putSecond.AsTask().WaitAsync(TestService.Generous));

        // Both result forms through the batch: copied into the caller's memory, and leased over the receive buffers.
        var destination = new byte[8];
        var get = client.GetAsync(new byte[] { 1 }, destination);
        var lease = client.GetLeaseAsync(new byte[] { 2 }, 64);
        Assert.Equal(2, batch.Count);
        Assert.Equal(2, service.Server.Statistics.Requests);
        batch.Flush();

        Assert.Equal(first.Length, await get.AsTask().WaitAsync(TestService.Generous));
        Assert.Equal(first, destination.AsSpan(0, first.Length).ToArray());
        using (var leased = await lease.AsTask().WaitAsync(TestService.Generous))
        {
            Assert.Equal(second.Length, leased.Result);
            Assert.Equal(second, leased.Bytes.ToArray());
        }

        Assert.Equal(4, service.Server.Statistics.Requests);
    }

    [Fact]
    public async Task A_client_over_a_batch_refuses_calls_as_the_batch_does_and_needs_a_batch()
    {
        await using var service = new TestService(new StoreDispatcher(new Store()), new R2P2ClientOptions { Timeout = TestService.Generous, MaxInFlight = 1 });
        var batch = service.Client.CreateBatch();
        var client = new StoreClient(batch);

        var queued = client.PutAsync(new byte[] { 1 }, new byte[] { 9 });
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.PutAsync(new byte[] { 2 }, new byte[] { 9 }).AsTask()); // MaxInFlight, nothing queued
        Assert.Equal(1, batch.Count);
        batch.Flush();
        Assert.True(await queued.AsTask().WaitAsync(TestService.Generous));

        Assert.Throws<ArgumentNullException>(() => new StoreClient((R2P2CallBatch)null!));
    }
}
