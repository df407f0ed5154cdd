using System;
using System.Buffers;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using TailGuard.R2P2;
using TailGuard.R2P2.Stubs;

namespace TailGuard.Tests.R2P2.Stubs;

public class ServiceCallTests
{
    private sealed class CountingOwner : IR2P2ResponseOwner
    {
        public int Releases { get; private set; }

        public void Release(int token) => Releases++;
    }

    /// <summary>A response that arrives later, as a real call's does.</summary>
    private sealed class LateResponse : IValueTaskSource<R2P2Response>
    {
        private ManualResetValueTaskSourceCore<R2P2Response> _core;

        public ValueTask<R2P2Response> Task => new(this, _core.Version);

        public void Arrive(R2P2Response response) => _core.SetResult(response);

        public void Reset() => _core.Reset();

        public void Fail(Exception error) => _core.SetException(error);

        public R2P2Response GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _core.OnCompleted(continuation, state, token, flags);
    }

    private static readonly ResponseDecoder<int, long> s_lengthPlus = static (in R2P2Response response, in int add) => response.Payload.Length + add;
    private static readonly ResponseDecoder<ValueTuple, long> s_throws = static (in R2P2Response response, in ValueTuple _) => throw new R2P2MalformedResponseException();
    private static readonly ResponseDecoder<ValueTuple, ValueTuple> s_throwsVoid = static (in R2P2Response response, in ValueTuple _) => throw new R2P2MalformedResponseException();

    private static R2P2Response Response(CountingOwner owner, int length = 3) => new(new ReadOnlySequence<byte>(new byte[length]), owner, 0);

    [Fact]
    public async Task A_completed_call_is_decoded_at_once_and_its_response_disposed()
    {
        var owner = new CountingOwner();

        ValueTask<long> result = ServiceCall.Complete(new ValueTask<R2P2Response>(Response(owner)), 10, s_lengthPlus);

        Assert.True(result.IsCompletedSuccessfully);
        Assert.Equal(13, await result);
        Assert.Equal(1, owner.Releases);
    }

    [Fact]
    public async Task A_completed_call_whose_decode_fails_faults_the_task_instead_of_throwing_from_the_call()
    {
        // A service error already answered when the client's method checks (the receive thread was quicker than the
        // caller) must surface where a later one does: at the await. Throwing from the call broke Task.WhenAll and any
        // caller that starts a call, does other work, then awaits.
        var owner = new CountingOwner();
        ValueTask<long> result = default;
        var call = Record.Exception(() => result = ServiceCall.Complete(new ValueTask<R2P2Response>(Response(owner)), default(ValueTuple), s_throws));
        Assert.Null(call);
        Assert.True(result.IsFaulted);
        await Assert.ThrowsAsync<R2P2MalformedResponseException>(async () => await result);
        Assert.Equal(1, owner.Releases);

        var voidOwner = new CountingOwner();
        ValueTask voidResult = default;
        call = Record.Exception(() => voidResult = ServiceCall.CompleteVoid(new ValueTask<R2P2Response>(Response(voidOwner)), s_throwsVoid));
        Assert.Null(call);
        Assert.True(voidResult.IsFaulted);
        await Assert.ThrowsAsync<R2P2MalformedResponseException>(async () => await voidResult);
        Assert.Equal(1, voidOwner.Releases);
    }

    [Fact]
    public async Task A_late_response_completes_the_task_and_is_disposed()
    {
        var owner = new CountingOwner();
        var late = new LateResponse();

        ValueTask<long> result = ServiceCall.Complete(late.Task, 1, s_lengthPlus);
        Assert.False(result.IsCompleted);
        late.Arrive(Response(owner, 5));

        Assert.Equal(6, await result);
        Assert.Equal(1, owner.Releases);
    }

    [Fact]
    public async Task A_decoder_that_owns_the_response_keeps_it_unless_it_throws()
    {
        var kept = new CountingOwner();
        await ServiceCall.Complete(new ValueTask<R2P2Response>(Response(kept)), 0, s_lengthPlus, decoderOwnsResponse: true);
        Assert.Equal(0, kept.Releases);

        var failed = new CountingOwner();
        await Assert.ThrowsAsync<R2P2MalformedResponseException>(async () => await ServiceCall.Complete(new ValueTask<R2P2Response>(Response(failed)), default(ValueTuple), s_throws, decoderOwnsResponse: true));
        Assert.Equal(1, failed.Releases);
    }

    [Fact]
    public async Task A_failed_call_or_decode_reaches_the_awaiter_and_the_source_is_reused()
    {
        var late = new LateResponse();
        ValueTask<long> failing = ServiceCall.Complete(late.Task, 0, s_lengthPlus);
        late.Fail(new R2P2TimeoutException());
        await Assert.ThrowsAsync<R2P2TimeoutException>(async () => await failing);

        var owner = new CountingOwner();
        var next = new LateResponse();
        ValueTask<long> succeeding = ServiceCall.Complete(next.Task, 0, s_lengthPlus);
        next.Arrive(Response(owner, 2));
        Assert.Equal(2, await succeeding);
        Assert.Equal(1, owner.Releases);
    }

    [Fact]
    public void Late_calls_allocate_nothing_once_the_pool_is_warm()
    {
        var owner = new CountingOwner();
        var late = new LateResponse();
        R2P2Response response = Response(owner);
        long calls = 0;
        AllocationReport report = AllocationWindows.OnThisThread(_ =>
        {
            // The response arrives inside Once, so the call has completed by the time it returns.
            ValueTask<long> call = Once(late, response);
            Assert.True(call.IsCompleted);
            call.GetAwaiter().GetResult();
            calls++;
        });

        report.AssertNoPerCallAllocation();
        Assert.Equal(calls, owner.Releases);
    }

    private static ValueTask<long> Once(LateResponse late, R2P2Response response)
    {
        late.Reset();
        ValueTask<long> result = ServiceCall.Complete(late.Task, 0, s_lengthPlus);
        late.Arrive(response);
        return result;
    }
}
