using System;
using System.Buffers;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Tasks;

namespace TailGuard.R2P2.Stubs;

/// <summary>
/// How a generated dispatcher serves a <c>ValueTask</c> or <c>ValueTask&lt;T&gt;</c> service method whose task is still
/// pending when the method returns: the request is deferred (<see cref="R2P2Request.Defer"/>), the receive loop moves on,
/// and the result (or <see cref="R2P2ServiceStatus.HandlerFailed"/>) is sent through the response handle when the task
/// completes, on the thread that completes it. A task that completed synchronously never comes here: the dispatcher
/// answers it on the spot, allocation-free (docs/r2p2-services.md, "Asynchronous methods").
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class AsyncAnswer
{
    /// <summary>
    /// Answers <paramref name="request"/> with <paramref name="pending"/>'s result once it completes. Outside a server
    /// (a request built by hand, which cannot be deferred) there is no loop to keep free, so this waits for the result
    /// and writes it to <paramref name="response"/>. When the server holds its most deferred responses already
    /// (<see cref="R2P2ServerOptions.MaxDeferredResponses"/>) the call is answered with
    /// <see cref="R2P2ServiceStatus.HandlerFailed"/> now and the task's result is ignored.
    /// </summary>
    /// <typeparam name="TResult">The method's result.</typeparam>
    /// <param name="request">The request being served.</param>
    /// <param name="response">The synchronous response's buffers (used only when the request cannot be deferred).</param>
    /// <param name="pending">The method's task, not yet completed; consumed once.</param>
    /// <param name="writeResult">Writes a successful response: status and result.</param>
    /// <param name="observer">Told about exceptions the task ends with.</param>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A failed task is answered HandlerFailed, as a synchronous method that throws.")]
    public static void Later<TResult>(in R2P2Request request, IBufferWriter<byte> response, ValueTask<TResult> pending, R2P2PayloadWriter<TResult> writeResult, Action<Exception>? observer)
    {
        ArgumentNullException.ThrowIfNull(writeResult);
        if (!request.CanDefer)
        {
            TResult result;
            try
            {
                result = pending.AsTask().GetAwaiter().GetResult();
            }
            catch (Exception exception)
            {
                ServiceResponse.WriteHandlerFailed(response, exception, observer);
                return;
            }

            writeResult(response, in result);
            return;
        }

        if (TryDefer(in request, response, observer, out R2P2ResponseHandle handle))
        {
            new PendingResult<TResult>(handle, pending, writeResult, observer).Start();
        }
    }

    /// <summary>As <see cref="Later{TResult}"/>, for a method returning <see cref="ValueTask"/>: the answer is the status alone.</summary>
    /// <param name="request">The request being served.</param>
    /// <param name="response">The synchronous response's buffers (used only when the request cannot be deferred).</param>
    /// <param name="pending">The method's task, not yet completed; consumed once.</param>
    /// <param name="observer">Told about exceptions the task ends with.</param>
    public static void Later(in R2P2Request request, IBufferWriter<byte> response, ValueTask pending, Action<Exception>? observer)
        => Later(in request, response, Unit(pending), s_writeOk, observer);

    private static readonly R2P2PayloadWriter<bool> s_writeOk = static (IBufferWriter<byte> writer, in bool _) => ServiceResponse.WriteError(writer, R2P2ServiceStatus.Ok);

    // Only on the pending path: the ValueTask without a result as one with a result, so one code path answers both.
    private static async ValueTask<bool> Unit(ValueTask pending)
    {
        await pending.ConfigureAwait(false);
        return true;
    }

    private static bool TryDefer(in R2P2Request request, IBufferWriter<byte> response, Action<Exception>? observer, out R2P2ResponseHandle handle)
    {
        try
        {
            handle = request.Defer();
            return true;
        }
        catch (InvalidOperationException exception)
        {
            // The loop's deferred responses are all taken: answer now rather than wait on the loop.
            handle = default;
            ServiceResponse.WriteHandlerFailed(response, exception, observer);
            return false;
        }
    }

    /// <summary>One deferred answer: the handle, the task and its writer, until the task completes.</summary>
    private sealed class PendingResult<TResult>(R2P2ResponseHandle handle, ValueTask<TResult> pending, R2P2PayloadWriter<TResult> writeResult, Action<Exception>? observer)
    {
        public void Start() => pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(Complete);

        [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A failed task is answered HandlerFailed; nothing escapes into the completing thread.")]
        private void Complete()
        {
            TResult result;
            try
            {
                result = pending.GetAwaiter().GetResult();
            }
            catch (Exception exception)
            {
                Fail(exception);
                return;
            }

            try
            {
                handle.TrySend(in result, writeResult);
            }
            catch (Exception exception)
            {
                // The writer threw: the handle released the request (as a handler failure) and sent nothing.
                Observe(exception);
            }
        }

        private void Fail(Exception exception)
        {
            Observe(exception);
            ReadOnlySpan<byte> status = [(byte)R2P2ServiceStatus.HandlerFailed];
            handle.TrySend(status);
        }

        [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "The observer is diagnostics only.")]
        private void Observe(Exception exception)
        {
            try
            {
                observer?.Invoke(exception);
            }
            catch (Exception)
            {
                // The observer's own failure changes nothing.
            }
        }
    }
}
