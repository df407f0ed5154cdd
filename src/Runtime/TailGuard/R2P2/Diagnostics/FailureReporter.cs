using System;

namespace TailGuard.R2P2;

/// <summary>
/// One role's way to survive a failure: count it in the role's statistics, then hand it to the configured
/// <see cref="IR2P2FailureLog"/>, whose own exceptions are swallowed. Never throws.
/// </summary>
internal sealed class FailureReporter(IR2P2FailureLog? log, Action<R2P2Failure> count)
{
    /// <summary>Counts and logs one failure.</summary>
    public void Report(R2P2Failure failure, Exception exception)
    {
        try
        {
            count(failure);
            log?.Report(failure, exception);
        }
#pragma warning disable CA1031 // The log is user code: a failing log must not turn a survived failure into a fatal one.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Raises an event to each subscriber on its own, so one that throws neither stops the others nor the caller.</summary>
    public void Raise<T>(EventHandler<T>? handlers, object sender, T argument)
    {
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler<T>)handler)(sender, argument);
            }
#pragma warning disable CA1031 // Subscribers are user code; see IR2P2FailureLog.
            catch (Exception error)
#pragma warning restore CA1031
            {
                Report(R2P2Failure.EventSubscriber, error);
            }
        }
    }
}
