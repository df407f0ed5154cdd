using System;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace TailGuard.R2P2;

/// <summary>
/// The continuation of a pooled <see cref="IValueTaskSource{TResult}"/> whose core runs continuations inline
/// (<see cref="PendingCall"/>, the generated clients' pending calls), kept apart from its
/// <see cref="ManualResetValueTaskSourceCore{TResult}"/> so that one attached after the result was set costs nothing.
/// </summary>
/// <remarks>
/// A caller that checks <c>IsCompleted</c> and then attaches its continuation loses a race when the answer lands in
/// between (a sender descheduled there on a busy machine): the core then queues the continuation to the thread pool
/// wrapped in a new 32-byte work item, allocated on the caller's thread. Here a continuation without a context is held in
/// this slot: attached in time, it runs inline when the result is set, as the core would run it; attached late, it is
/// queued through its source (an <see cref="IThreadPoolWorkItem"/>, nothing allocated) and runs on the pool, as the core
/// would run it. A continuation that flows an <see cref="ExecutionContext"/> or has a scheduling context to return to
/// goes to the core, which knows how. The sources call the slot for every step (<see cref="OnCompleted{TResult}"/>,
/// <see cref="SetResult{TResult}"/>, <see cref="SetException{TResult}"/>, <see cref="Reset{TResult}"/>), never the core
/// directly, so the order below holds in one place.
/// <para>
/// A call ends in this order: the slot is marked ended (from then on an attach is late), the core's result, then the
/// continuation taken. Setting the core's result first would let a continuation the core holds consume the source (and
/// its pool reuse it) before the slot was marked; so a late continuation may be queued before the result is set, and
/// <see cref="RunQueued{TResult}"/> waits for it (the few instructions between the two).
/// </para>
/// </remarks>
internal struct ContinuationSlot
{
    // Stored once the result is set: a continuation attached after it is late.
    private static readonly Action<object?> s_completed = static _ => throw new InvalidOperationException("The completed marker is never run.");

    private Action<object?>? _continuation;
    private object? _state;
    private int _queued;

    /// <summary>
    /// The source's <see cref="IValueTaskSource{TResult}.OnCompleted"/>: a stale token throws (as the core's does); a
    /// continuation without a context waits here (one attached after the call ended is queued through
    /// <paramref name="source"/>, whose <see cref="IThreadPoolWorkItem.Execute"/> must call <see cref="RunQueued"/>); one
    /// with a context goes to <paramref name="core"/>.
    /// </summary>
    public void OnCompleted<TResult>(ref ManualResetValueTaskSourceCore<TResult> core, Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags, IThreadPoolWorkItem source)
    {
        _ = core.GetStatus(token);
        if (!TryAttach(continuation, state, flags, source))
        {
            core.OnCompleted(continuation, state, token, flags);
        }
    }

    /// <summary>Ends the call with its result, in the order the remarks give, and runs a continuation attached in time.</summary>
    public void SetResult<TResult>(ref ManualResetValueTaskSourceCore<TResult> core, TResult result)
    {
        var continuation = Take(out var state);
        core.SetResult(result);
        continuation?.Invoke(state);
    }

    /// <summary>Ends the call with <paramref name="error"/>, as <see cref="SetResult"/> does.</summary>
    public void SetException<TResult>(ref ManualResetValueTaskSourceCore<TResult> core, Exception error)
    {
        var continuation = Take(out var state);
        core.SetException(error);
        continuation?.Invoke(state);
    }

    // False when the continuation needs a context (the core then takes it); one attached late is queued through source.
    private bool TryAttach(Action<object?> continuation, object? state, ValueTaskSourceOnCompletedFlags flags, IThreadPoolWorkItem source)
    {
        if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0
            || ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0 && HasSchedulingContext()))
        {
            return false;
        }

        _state = state;
        var previous = Interlocked.CompareExchange(ref _continuation, continuation, null);
        if (previous is null)
        {
            return true;
        }

        if (!ReferenceEquals(previous, s_completed))
        {
            throw new InvalidOperationException("A continuation is already attached: a ValueTask is awaited once.");
        }

        // Late: the result is here. Queued, never run inline (as the core does): the caller may be mid-way through its own
        // continuation's setup. To the pool's global queue: asking for the local one reads the pool's per-thread state,
        // whose first read on a thread outside the pool (a load generator's sender) allocates it (32-136 B, once per
        // thread); a late continuation is rare enough that the local queue's locality is not worth that.
        _continuation = continuation;
        Volatile.Write(ref _queued, 1);
        ThreadPool.UnsafeQueueUserWorkItem(source, preferLocal: false);
        return true;
    }

    // Just before the core's result is set: marks the call ended and takes a continuation attached in time, to run inline
    // once the result is set (null when there is none).
    private Action<object?>? Take(out object? state)
    {
        var continuation = Interlocked.Exchange(ref _continuation, s_completed);
        state = continuation is null ? null : _state;
        return continuation;
    }

    /// <summary>
    /// From the source's <see cref="IThreadPoolWorkItem.Execute"/>: runs a continuation attached late, once
    /// <paramref name="core"/> has its result; false when none was queued.
    /// </summary>
    public bool RunQueued<TResult>(ref ManualResetValueTaskSourceCore<TResult> core)
    {
        if (Interlocked.Exchange(ref _queued, 0) == 0)
        {
            return false;
        }

        var continuation = _continuation!;
        var state = _state;
        var wait = default(SpinWait);
        while (core.GetStatus(core.Version) == ValueTaskSourceStatus.Pending)
        {
            wait.SpinOnce(); // the ending thread is between Take and setting the result
        }

        continuation(state);
        return true;
    }

    /// <summary>Readies the source for its next call: the core's version moves on and the continuation is forgotten.</summary>
    public void Reset<TResult>(ref ManualResetValueTaskSourceCore<TResult> core)
    {
        core.Reset();
        _continuation = null;
        _state = null;
        _queued = 0;
    }

    // As ManualResetValueTaskSourceCore decides it: a synchronization context other than the base one, or a scheduler
    // other than the default.
    private static bool HasSchedulingContext()
        => (SynchronizationContext.Current is { } context && context.GetType() != typeof(SynchronizationContext))
            || TaskScheduler.Current != TaskScheduler.Default;
}
