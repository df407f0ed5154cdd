using System;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2;

/// <summary>
/// One client call, pooled: the protocol state machine (<see cref="ClientCall"/>: its request packets until they are
/// sent, its response packets lent to the caller as the <see cref="R2P2Response"/> lease), and how it ends: a completion
/// source (a reusable <see cref="IValueTaskSource{TResult}"/>) with its cancellation registration, or a caller's
/// <see cref="IR2P2CallCallback"/>, told inline and without an exception, after which the call goes back to the pool.
/// </summary>
/// <remarks>
/// Asynchronous continuations are dispatched by queueing the call itself as the thread-pool work item: the core's own
/// asynchronous mode would wrap every continuation in a new 32-byte work item, an allocation per call. For the same
/// reason a context-free continuation waits in a <see cref="ContinuationSlot"/>, not in the core: one attached after the
/// call ended is queued as the call too.
/// </remarks>
internal sealed class PendingCall : ClientCall, IValueTaskSource<R2P2Response>, IR2P2ResponseOwner, IThreadPoolWorkItem
{
    private readonly R2P2Client _client;
    private readonly bool _dispatchToThreadPool;
    private ManualResetValueTaskSourceCore<R2P2Response> _core;
    private ContinuationSlot _continuation;
    private int _leaseToken;
    private R2P2Response _dispatchedResponse;
    private Exception? _dispatchedError;
    private IR2P2CallCallback? _callback;
    private object? _callbackState;

    public PendingCall(R2P2Client client, MessageWriter writer, bool runContinuationsAsynchronously)
    {
        _client = client;
        Writer = writer;
        _dispatchToThreadPool = runContinuationsAsynchronously;
        _core.RunContinuationsAsynchronously = false;
    }

    public MessageWriter Writer { get; }

    public PendingCall? NextCompleted;
    public CancellationToken Token;
    public CancellationTokenRegistration Registration;
    public R2P2Measurement Measurement;

    public short Version => _core.Version;

    public R2P2Client Client() => _client;

    /// <summary>The response's first payload byte (a generated service's status), or -1 when it is empty.</summary>
    public int FirstResponseByte()
    {
        foreach (var segment in ResponsePayload())
        {
            if (!segment.IsEmpty)
            {
                return segment.Span[0];
            }
        }

        return -1;
    }

    /// <summary>Whether ending the call runs the caller's code on the ending thread (a callback, or an inline continuation).</summary>
    public bool EndsInline => _callback is not null || !_dispatchToThreadPool;

    /// <summary>Makes the call end through <paramref name="callback"/> instead of its completion source.</summary>
    public void UseCallback(IR2P2CallCallback callback, object? state)
    {
        _callback = callback;
        _callbackState = state;
    }

    /// <summary>Ends the call with its response (the packets it holds).</summary>
    public void Succeed()
    {
        Measurement.EndAnswered(FirstResponseByte()); // before the caller's code: it may reuse the call
        if (_callback is { } callback)
        {
            Deliver(callback, R2P2CallStatus.Completed, ResponsePayload());
            return;
        }

        var response = new R2P2Response(ResponsePayload(), this, _leaseToken);
        if (_dispatchToThreadPool)
        {
            _dispatchedResponse = response;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        else
        {
            SetResult(response);
        }
    }

    /// <summary>Ends the call with a failure: a status for a callback, an exception (given, or the status's) for an awaiter.</summary>
    public void Fail(R2P2CallStatus status, Exception? error = null)
    {
        Measurement.End(status switch
        {
            R2P2CallStatus.TimedOut or R2P2CallStatus.ReceiveLoopBlocked => R2P2Outcome.Timeout,
            R2P2CallStatus.Dropped => R2P2Outcome.Dropped,
            R2P2CallStatus.MalformedResponse => R2P2Outcome.MalformedResponse,
            _ => R2P2Outcome.Failed,
        });
        if (_callback is { } callback)
        {
            Deliver(callback, status, default);
            return;
        }

        error ??= status switch
        {
            R2P2CallStatus.TimedOut => new R2P2TimeoutException(),
            R2P2CallStatus.Dropped => new R2P2DroppedException(),
            R2P2CallStatus.MalformedResponse => new R2P2MalformedResponseException(),
            R2P2CallStatus.ClientDisposed => new ObjectDisposedException(nameof(R2P2Client), "The R2P2 client was disposed while the call was in flight."),
            R2P2CallStatus.ReceiveLoopBlocked => new R2P2ReceiveLoopBlockedException(),
            _ => new R2P2Exception("The request could not be sent."),
        };
        CompleteWithError(error);
    }

    private void Deliver(IR2P2CallCallback callback, R2P2CallStatus status, System.Buffers.ReadOnlySequence<byte> payload)
    {
        try
        {
            callback.OnCallCompleted(new R2P2CallCompletion(status, payload, RequestId, _callbackState));
        }
#pragma warning disable CA1031 // A caller's callback must not end the receive loop (or leak the call): counted and reported.
        catch (Exception error)
#pragma warning restore CA1031
        {
            _client.ReportCallbackFailure(error);
        }
        finally
        {
            Recycle(); // the payload was lent for the callback only
        }
    }

    /// <summary>Ends an awaited call with <paramref name="error"/> (cancellation; every other failure goes through <see cref="Fail"/>).</summary>
    public void CompleteWithError(Exception error)
    {
        if (_dispatchToThreadPool)
        {
            _dispatchedError = error;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        else
        {
            SetException(error);
        }
    }

    /// <summary>
    /// Completes the call on a thread-pool thread, where the awaiting continuation then runs inline; or runs a
    /// continuation attached after the call ended.
    /// </summary>
    void IThreadPoolWorkItem.Execute()
    {
        if (_continuation.RunQueued(ref _core))
        {
            return;
        }

        var error = _dispatchedError;
        _dispatchedError = null;
        if (error is null)
        {
            var response = _dispatchedResponse;
            _dispatchedResponse = default;
            SetResult(response);
        }
        else
        {
            SetException(error);
        }
    }

    private void SetResult(R2P2Response response) => _continuation.SetResult(ref _core, response);

    private void SetException(Exception error) => _continuation.SetException(ref _core, error);

    public R2P2Response GetResult(short token)
    {
        var status = _core.GetStatus(token);
        if (status == ValueTaskSourceStatus.Pending)
        {
            // Reading a call's result before it ended (.Result, GetAwaiter().GetResult() without awaiting) must not
            // recycle the call in flight; say what to do instead.
            throw new InvalidOperationException("The R2P2 call has not ended: await its ValueTask (or use AsTask()) instead of reading its result synchronously.");
        }

        if (status != ValueTaskSourceStatus.Succeeded)
        {
            try
            {
                _core.GetResult(token);
            }
            finally
            {
                Recycle();
            }
        }

        return _core.GetResult(token);
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _continuation.OnCompleted(ref _core, continuation, state, token, flags, this);

    /// <summary>The lease's dispose: a stale token (a second dispose, or a copy disposed after reuse) does nothing.</summary>
    public void Release(int token)
    {
        if (Interlocked.CompareExchange(ref _leaseToken, token + 1, token) == token)
        {
            Recycle();
        }
    }

    /// <summary>Returns every buffer the call holds and the call itself to the client's pool.</summary>
    public void Recycle()
    {
        Reset();
        Token = default;
        Registration = default;
        Measurement = default;
        _callback = null;
        _callbackState = null;
        unchecked
        {
            _leaseToken++;
        }

        _continuation.Reset(ref _core);
        _client.ReturnCall(this);
    }
}
