using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.EndToEnd.Tests.Infrastructure;
using TailGuard.EndToEnd.Tests.Services;
using TailGuard.R2P2;
using TailGuard.R2P2.Stubs;
using static TailGuard.EndToEnd.Tests.Infrastructure.DispatcherProbe;

namespace TailGuard.EndToEnd.Tests;

/// <summary>
/// Generated dispatch of ValueTask service methods (docs/r2p2-services.md, "Asynchronous methods"): answered on the
/// spot when the task completed synchronously, through a deferred response when it did not, without blocking the
/// server's receive loop in between.
/// </summary>
public sealed class AsyncDispatchTests
{
    [Theory]
    [MemberData(nameof(TestService.Transports), MemberType = typeof(TestService))]
    public async Task A_synchronously_completed_task_is_answered_on_the_spot_without_deferring(TransportKind transport)
    {
        var ledger = new AsyncLedger();
        await using var service = new TestService(new AsyncLedgerDispatcher(ledger), transport: transport);
        var client = new AsyncLedgerClient(service.Client);

        Assert.Equal(5, await client.AddAsync(5));
        Assert.Equal(12, await client.AddAsync(7));
        await client.TouchAsync(false);

        Assert.Equal(1, ledger.Touches);
        Assert.Equal(0, service.Server.Statistics.DeferredResponses);
    }

    [Theory]
    [MemberData(nameof(TestService.Transports), MemberType = typeof(TestService))]
    public async Task A_pending_task_leaves_the_loop_free_and_is_answered_when_it_completes(TransportKind transport)
    {
        var ledger = new AsyncLedger();
        await using var service = new TestService(new AsyncLedgerDispatcher(ledger), transport: transport);
        var client = new AsyncLedgerClient(service.Client);

        ValueTask<int> echo = client.EchoLaterAsync(41);
        Task touch = client.TouchAsync(true).AsTask();
        Assert.True(SpinWait.SpinUntil(() => ledger.Waiting == 2, TestService.Generous), "the pending calls never reached the service");

        // The same loop serves other calls while two answers are outstanding: a blocked loop would time this out.
        Assert.Equal(3, await client.AddAsync(3));
        Assert.False(echo.IsCompleted);
        Assert.False(touch.IsCompleted);
        Assert.Equal(2, service.Server.PendingResponses);

        ledger.ReleaseAll(2);
        Assert.Equal(41, await echo);
        await touch;

        Assert.Equal(1, ledger.Touches);
        Assert.Equal(2, service.Server.Statistics.DeferredResponses);
        Assert.True(SpinWait.SpinUntil(() => service.Server.PendingResponses == 0, TestService.Generous), "a deferred response was never released");
    }

    [Fact]
    public async Task Many_pending_calls_are_each_answered_with_their_own_result()
    {
        var ledger = new AsyncLedger();
        await using var service = new TestService(new AsyncLedgerDispatcher(ledger));
        var client = new AsyncLedgerClient(service.Client);

        var calls = new Task<int>[64];
        for (int i = 0; i < calls.Length; i++)
        {
            calls[i] = client.EchoLaterAsync(1000 + i).AsTask();
        }

        ledger.ReleaseAll(calls.Length);
        for (int i = 0; i < calls.Length; i++)
        {
            Assert.Equal(1000 + i, await calls[i]);
        }

        Assert.Equal(calls.Length, service.Server.Statistics.DeferredResponses);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_failing_task_answers_HandlerFailed_and_tells_the_observer(bool later)
    {
        var ledger = new AsyncLedger();
        var observed = new ConcurrentQueue<Exception>();
        await using var service = new TestService(new AsyncLedgerDispatcher(ledger, observed.Enqueue));
        var client = new AsyncLedgerClient(service.Client);

        Task<int> failing = client.FailAsync(later).AsTask();
        if (later)
        {
            ledger.ReleaseAll(1);
        }

        var error = await Assert.ThrowsAsync<R2P2ServiceException>(() => failing);
        Assert.Equal(R2P2ServiceStatus.HandlerFailed, error.Status);
        Exception seen = Assert.Single(observed);
        Assert.Equal(later ? "failed later" : "failed now", seen.Message);
        Assert.Equal(5, await client.AddAsync(5)); // and the service goes on
    }

    [Fact]
    public async Task A_late_result_beyond_its_bound_answers_InvalidResult()
    {
        var ledger = new AsyncLedger();
        await using var service = new TestService(new AsyncLedgerDispatcher(ledger));
        var client = new AsyncLedgerClient(service.Client);

        Task<string> fits = client.NameLaterAsync(8).AsTask();
        Task<string> tooLong = client.NameLaterAsync(9).AsTask();
        ledger.ReleaseAll(2);

        Assert.Equal("nnnnnnnn", await fits);
        var error = await Assert.ThrowsAsync<R2P2ServiceException>(() => tooLong);
        Assert.Equal(R2P2ServiceStatus.InvalidResult, error.Status);
    }

    [Fact]
    public async Task A_server_out_of_deferred_slots_answers_HandlerFailed_at_once_and_keeps_serving()
    {
        var ledger = new AsyncLedger();
        (PacketTransport serverTransport, PacketTransport clientTransport) = TestService.Bind(TransportKind.InMemory);
        using var server = new R2P2Server(serverTransport, new AsyncLedgerDispatcher(ledger), new R2P2ServerOptions { MaxDeferredResponses = 1 });
        await using var r2p2 = new R2P2Client(clientTransport, server.LocalAddress, new R2P2ClientOptions { Timeout = TestService.Generous });
        var client = new AsyncLedgerClient(r2p2);

        Task<int> first = client.EchoLaterAsync(1).AsTask();
        Assert.True(SpinWait.SpinUntil(() => server.PendingResponses == 1, TestService.Generous), "the first call was never deferred");
        var error = await Assert.ThrowsAsync<R2P2ServiceException>(() => client.EchoLaterAsync(2).AsTask());

        Assert.Equal(R2P2ServiceStatus.HandlerFailed, error.Status);
        ledger.ReleaseAll(2);
        Assert.Equal(1, await first);
    }

    [Fact]
    public void Outside_a_server_the_dispatcher_waits_for_a_pending_task_and_writes_the_answer()
    {
        var ledger = new AsyncLedger();
        var dispatcher = new AsyncLedgerDispatcher(ledger);
        using var releaser = new Timer(_ => ledger.ReleaseAll(1), null, 50, Timeout.Infinite);

        byte[] response = Call(dispatcher, Request(MethodId.FromName("EchoLaterAsync"), BitConverter.GetBytes(77)));

        Assert.Equal(new byte[] { 0, 77, 0, 0, 0 }, response);
    }
}
