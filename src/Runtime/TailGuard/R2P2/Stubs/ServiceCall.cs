using System;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace TailGuard.R2P2.Stubs;

/// <summary>
/// Finishes a generated client call: waits for the R2P2 response, decodes it and completes the caller's task, through
/// pooled <see cref="IValueTaskSource{TResult}"/> objects so a call allocates nothing in steady state (an async method
/// would allocate its state machine box whenever its continuation lands on a thread whose cache is empty).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ServiceCall
{
    /// <summary>Completes with the decoded result of <paramref name="call"/>; the response is disposed after decoding.</summary>
    /// <typeparam name="TState">The decoder's state.</typeparam>
    /// <typeparam name="TResult">The result.</typeparam>
    /// <param name="call">The pending R2P2 call.</param>
    /// <param name="state">The decoder's state.</param>
    /// <param name="decode">Decodes the response.</param>
    /// <returns>The result.</returns>
    public static ValueTask<TResult> Complete<TState, TResult>(ValueTask<R2P2Response> call, in TState state, ResponseDecoder<TState, TResult> decode)
        => Complete(call, state, decode, decoderOwnsResponse: false);

    /// <summary>
    /// Completes with the decoded result of <paramref name="call"/>. When <paramref name="decoderOwnsResponse"/> is true
    /// a successful decoder keeps the response (a lease in its result); the response is disposed if it throws.
    /// </summary>
    /// <typeparam name="TState">The decoder's state.</typeparam>
    /// <typeparam name="TResult">The result.</typeparam>
    /// <param name="call">The pending R2P2 call.</param>
    /// <param name="state">The decoder's state.</param>
    /// <param name="decode">Decodes the response.</param>
    /// <param name="decoderOwnsResponse">Whether a successful decode takes ownership of the response.</param>
    /// <returns>The result.</returns>
    public static ValueTask<TResult> Complete<TState, TResult>(ValueTask<R2P2Response> call, in TState state, ResponseDecoder<TState, TResult> decode, bool decoderOwnsResponse)
    {
        if (call.IsCompletedSuccessfully)
        {
            // An answer already here is still an asynchronous result: a failed decode (an error status, a malformed
            // response) faults the task rather than throwing from the call, as it does when the answer comes later.
            try
            {
                return new ValueTask<TResult>(Decode(call.Result, state, decode, decoderOwnsResponse));
            }
            catch (Exception error)
            {
                return ValueTask.FromException<TResult>(error);
            }
        }

        PendingServiceCall<TState, TResult> pending = PendingServiceCall<TState, TResult>.Rent();
        pending.Start(call, state, decode, decoderOwnsResponse);
        return new ValueTask<TResult>(pending, pending.Version);
    }

    /// <summary>Completes when <paramref name="call"/> has been answered and its response checked by <paramref name="decode"/>.</summary>
    /// <param name="call">The pending R2P2 call.</param>
    /// <param name="decode">Checks the response (a method without a result).</param>
    /// <returns>A task that completes when the call does.</returns>
    public static ValueTask CompleteVoid(ValueTask<R2P2Response> call, ResponseDecoder<ValueTuple, ValueTuple> decode)
    {
        if (call.IsCompletedSuccessfully)
        {
            try
            {
                Decode(call.Result, default, decode, decoderOwnsResponse: false);
                return default;
            }
            catch (Exception error)
            {
                return ValueTask.FromException(error); // as in Complete: the task faults, the call does not throw
            }
        }

        PendingServiceCall<ValueTuple, ValueTuple> pending = PendingServiceCall<ValueTuple, ValueTuple>.Rent();
        pending.Start(call, default, decode, decoderOwnsResponse: false);
        return new ValueTask(pending, pending.Version);
    }

    internal static TResult Decode<TState, TResult>(R2P2Response response, in TState state, ResponseDecoder<TState, TResult> decode, bool decoderOwnsResponse)
    {
        bool decoded = false;
        try
        {
            TResult result = decode(in response, in state);
            decoded = true;
            return result;
        }
        finally
        {
            if (!decoded || !decoderOwnsResponse)
            {
                response.Dispose();
            }
        }
    }
}

/// <summary>
/// One in-flight generated call; pooled per (state, result) type. Its caller's continuation waits in a
/// <see cref="ContinuationSlot"/>, so one attached after the call ended (its answer decoded between the caller's
/// <c>IsCompleted</c> check and its attach) is queued as the call itself rather than in a new work item.
/// </summary>
internal sealed class PendingServiceCall<TState, TResult> : IValueTaskSource<TResult>, IValueTaskSource, IThreadPoolWorkItem
{
    // Returned sources are kept up to the most this shape has had in flight at once (at most MaxPooled): a load generator
    // or a batch keeps hundreds in flight, and a fixed handful made every call beyond it allocate. The pool grows (an
    // allocation) only when that peak rises, as the client's own call pool fills during warm-up.
    private const int MaxPooled = 65536;
    private static readonly object s_sync = new(); // Monitor: contention inflates a native sync block, no managed allocation
    private static PendingServiceCall<TState, TResult>?[] s_pool = new PendingServiceCall<TState, TResult>?[16];
    private static int s_pooled;

    private readonly Action _onCallCompleted;
    private ManualResetValueTaskSourceCore<TResult> _core;
    private ContinuationSlot _continuation;
    private System.Runtime.CompilerServices.ConfiguredValueTaskAwaitable<R2P2Response>.ConfiguredValueTaskAwaiter _awaiter;
    private TState _state = default!;
    private ResponseDecoder<TState, TResult>? _decode;
    private bool _decoderOwnsResponse;

    private PendingServiceCall()
    {
        _onCallCompleted = OnCallCompleted;
    }

    public short Version => _core.Version;

    public static PendingServiceCall<TState, TResult> Rent()
    {
        lock (s_sync)
        {
            if (s_pooled > 0)
            {
                PendingServiceCall<TState, TResult> pending = s_pool[--s_pooled]!;
                s_pool[s_pooled] = null;
                return pending;
            }
        }

        return new PendingServiceCall<TState, TResult>();
    }

    public void Start(ValueTask<R2P2Response> call, in TState state, ResponseDecoder<TState, TResult> decode, bool decoderOwnsResponse)
    {
        _state = state;
        _decode = decode;
        _decoderOwnsResponse = decoderOwnsResponse;
        _awaiter = call.ConfigureAwait(false).GetAwaiter();
        _awaiter.UnsafeOnCompleted(_onCallCompleted);
    }

    public TResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Return();
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            Return();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _continuation.OnCompleted(ref _core, continuation, state, token, flags, this);

    /// <summary>Runs a continuation attached after the call ended (the only time this call is queued).</summary>
    void IThreadPoolWorkItem.Execute() => _ = _continuation.RunQueued(ref _core);

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "Every failure is handed to the awaiting caller.")]
    private void OnCallCompleted()
    {
        TResult result;
        try
        {
            R2P2Response response = _awaiter.GetResult();
            result = ServiceCall.Decode(response, _state, _decode!, _decoderOwnsResponse);
        }
        catch (Exception error)
        {
            Clear();
            _continuation.SetException(ref _core, error);
            return;
        }

        Clear();
        _continuation.SetResult(ref _core, result);
    }

    private void Clear()
    {
        _awaiter = default;
        _state = default!;
        _decode = null;
    }

    private void Return()
    {
        _continuation.Reset(ref _core);
        lock (s_sync)
        {
            if (s_pooled == s_pool.Length)
            {
                if (s_pool.Length == MaxPooled)
                {
                    return;
                }

                Array.Resize(ref s_pool, Math.Min(s_pool.Length * 2, MaxPooled));
            }

            s_pool[s_pooled++] = this;
        }
    }
}
