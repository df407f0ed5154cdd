using System;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2;

/// <summary>
/// One client call, pooled: the protocol state machine (<see cref="ClientCall"/>: its request packets until they are
/// sent, its response packets lent to the caller as the <see cref="R2P2Response"/> lease), its completion source (a
/// reusable <see cref="IValueTaskSource{TResult}"/>) and its cancellation registration.
/// </summary>
/// <remarks>
/// Asynchronous continuations are dispatched by queueing the call itself as the thread-pool work item: the core's own
/// asynchronous mode would wrap every continuation in a new 32-byte work item, an allocation per call.
/// </remarks>
internal sealed class PendingCall : ClientCall, IValueTaskSource<R2P2Response>, IR2P2ResponseOwner, IThreadPoolWorkItem
{
    private readonly R2P2Client _client;
    private readonly bool _dispatchToThreadPool;
    private ManualResetValueTaskSourceCore<R2P2Response> _core;
    private int _leaseToken;
    private R2P2Response _dispatchedResponse;
    private Exception? _dispatchedError;

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

    public short Version => _core.Version;

    public R2P2Client Client() => _client;

    public void CompleteWithResponse()
    {
        var response = new R2P2Response(ResponsePayload(), this, _leaseToken);
        if (_dispatchToThreadPool)
        {
            _dispatchedResponse = response;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        else
        {
            _core.SetResult(response);
        }
    }

    public void CompleteWithError(Exception error)
    {
        if (_dispatchToThreadPool)
        {
            _dispatchedError = error;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        else
        {
            _core.SetException(error);
        }
    }

    /// <summary>Completes the call on a thread-pool thread, where the awaiting continuation then runs inline.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        var error = _dispatchedError;
        _dispatchedError = null;
        if (error is null)
        {
            var response = _dispatchedResponse;
            _dispatchedResponse = default;
            _core.SetResult(response);
        }
        else
        {
            _core.SetException(error);
        }
    }

    public R2P2Response GetResult(short token)
    {
        if (_core.GetStatus(token) != ValueTaskSourceStatus.Succeeded)
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
        => _core.OnCompleted(continuation, state, token, flags);

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
        unchecked
        {
            _leaseToken++;
        }

        _core.Reset();
        _client.ReturnCall(this);
    }
}
